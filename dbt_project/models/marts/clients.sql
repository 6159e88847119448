{# One row per client: everyone who reached us through an incoming contact we can tie to them, or
   bought. Identity is the hashed client_key across contacts, leads and deals
   (int_leads_joined_to_clients, int_won_deals_joined_to_clients). #}
with

touches as (
    select client_id, channel, touched_at, touch_id from {{ ref('int_client_touches') }}
),

deals as (
    select * from {{ ref('int_won_deals_joined_to_clients') }}
),

margins as (
    select month, gross_margin from {{ ref('int_capacity_by_month') }}
),

ranked_touches as (
    select
        client_id,
        channel,
        touched_at,
        row_number() over (partition by client_id order by touched_at, touch_id) as touch_rank
    from touches
),

touch_summary as (
    select
        client_id,
        count(*) as touches,
        count(distinct channel) as channels_touched,
        min(touched_at) as first_touched_at,
        max(case when touch_rank = 1 then channel end) as first_touch_channel
    from ranked_touches
    group by client_id
),

deal_summary as (
    select
        deals.client_id,
        count(*) as deals_won,
        sum(deals.revenue) as revenue,
        sum(deals.revenue * margins.gross_margin) as gross_profit,
        min(deals.closed_date) as first_deal_closed_date,
        max(deals.closed_date) as last_deal_closed_date,
        max(case when deals.purchase_number = 1 then deals.channel end) as first_deal_channel
    from deals
    left join margins on deals.closed_month = margins.month
    group by deals.client_id
),

all_clients as (
    select client_id from touch_summary
    union
    select client_id from deal_summary
),

final as (
    select
        all_clients.client_id,
        touch_summary.first_touch_channel,
        touch_summary.first_touched_at,
        cast(coalesce(touch_summary.touches, 0) as {{ dbt.type_bigint() }}) as touches,
        cast(coalesce(touch_summary.channels_touched, 0) as {{ dbt.type_bigint() }}) as channels_touched,
        deal_summary.first_deal_channel,
        deal_summary.first_deal_closed_date,
        cast({{ dbt.date_trunc('month', 'deal_summary.first_deal_closed_date') }} as date)
            as acquisition_month,
        deal_summary.last_deal_closed_date,
        cast(coalesce(deal_summary.deals_won, 0) as {{ dbt.type_bigint() }}) as deals_won,
        cast(coalesce(deal_summary.revenue, 0) as {{ dbt.type_numeric() }}) as revenue,
        cast(coalesce(deal_summary.gross_profit, 0) as {{ dbt.type_numeric() }}) as gross_profit,
        coalesce(deal_summary.deals_won, 0) > 0 as is_buyer,
        coalesce(deal_summary.deals_won, 0) > 1 as is_returning
    from all_clients
    left join touch_summary on all_clients.client_id = touch_summary.client_id
    left join deal_summary on all_clients.client_id = deal_summary.client_id
)

select * from final
