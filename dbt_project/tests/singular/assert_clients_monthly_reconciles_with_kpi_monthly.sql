{# clients_monthly counts the won deals and revenue kpi_monthly counts, per month and channel, exactly;
   and the clients mart holds every one of them. Returns what differs. #}
with

kpi as (
    select month, channel, deals_won, revenue
    from {{ ref('kpi_monthly') }}
    where deals_won > 0
),

clients_monthly as (
    select month, channel, deals_won, revenue from {{ ref('clients_monthly') }}
),

by_month_channel as (
    select
        coalesce(kpi.month, clients_monthly.month) as month,
        coalesce(kpi.channel, clients_monthly.channel) as channel,
        kpi.deals_won as kpi_deals_won,
        clients_monthly.deals_won as clients_deals_won,
        kpi.revenue as kpi_revenue,
        clients_monthly.revenue as clients_revenue
    from kpi
    full outer join clients_monthly
        on kpi.month = clients_monthly.month and kpi.channel = clients_monthly.channel
),

all_time as (
    select
        cast(null as date) as month,
        'all clients' as channel,
        (select sum(deals_won) from kpi) as kpi_deals_won,
        (select sum(deals_won) from {{ ref('clients') }}) as clients_deals_won,
        (select sum(revenue) from kpi) as kpi_revenue,
        (select sum(revenue) from {{ ref('clients') }}) as clients_revenue
)

select * from by_month_channel
where kpi_deals_won is null
    or clients_deals_won is null
    or kpi_deals_won <> clients_deals_won
    or kpi_revenue <> clients_revenue
union all
select * from all_time
where coalesce(kpi_deals_won, 0) <> coalesce(clients_deals_won, 0)
    or coalesce(kpi_revenue, 0) <> coalesce(clients_revenue, 0)
