{# One row per month and channel with won deals: new and returning clients, and how much of the
   revenue came from clients buying again. A deal's month is that of its closing day and its channel
   that of its lead, as in kpi_monthly, so deals_won and revenue agree with it. #}
with

deals as (
    select * from {{ ref('int_won_deals_joined_to_clients') }}
),

monthly as (
    select
        closed_month as month,
        channel,
        count(distinct case when purchase_number = 1 then client_id end) as new_clients,
        count(distinct case when purchase_number > 1 then client_id end) as returning_clients,
        count(*) as deals_won,
        sum(case when purchase_number > 1 then 1 else 0 end) as repeat_deals_won,
        sum(revenue) as revenue,
        sum(case when purchase_number > 1 then revenue else 0 end) as returning_client_revenue
    from deals
    group by closed_month, channel
),

final as (
    select
        month,
        channel,
        cast(new_clients as {{ dbt.type_bigint() }}) as new_clients,
        cast(returning_clients as {{ dbt.type_bigint() }}) as returning_clients,
        cast(deals_won as {{ dbt.type_bigint() }}) as deals_won,
        cast(repeat_deals_won as {{ dbt.type_bigint() }}) as repeat_deals_won,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        cast(returning_client_revenue as {{ dbt.type_numeric() }}) as returning_client_revenue,
        {{ safe_divide('returning_client_revenue', 'revenue') }} as recurring_revenue_share
    from monthly
)

select * from final
