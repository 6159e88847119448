{# Incremental on DuckDB (dbt_project.yml): a night rebuilds the clients of int_clients_to_rebuild, each from all its
   touches and deals. The pre-hook empties them first, since a client can vanish (a lead that gets a
   client key is no longer a client of its own). #}
{{
    config(
        incremental_strategy='append',
        pre_hook="{{ membrana.empty_rows_to_rebuild(
            this, 'client_id', 'select client_id from ' ~ ref('int_clients_to_rebuild')) }}",
    )
}}
-- depends_on: {{ ref('int_clients_to_rebuild') }}
{%- set only_rebuilt_clients =
    membrana.in_rebuild_set('client_id', 'select client_id from ' ~ ref('int_clients_to_rebuild')) %}
{# One row per client: everyone who reached us through an incoming contact we can tie to them, or
   bought. Identity is the hashed client_key across contacts, leads and deals
   (int_leads_joined_to_clients, int_won_deals_joined_to_clients). #}
with

touches as (
    select client_id, channel, touched_at, touch_id from {{ ref('int_client_touches') }}
    where {{ only_rebuilt_clients }}
),

deals as (
    select * from {{ ref('int_won_deals_joined_to_clients') }}
    where {{ only_rebuilt_clients }}
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

{# each client's touches per channel: channels are counted from these pairs, since a distinct count
   inside the per-client aggregate cannot spill to disk #}
channel_touches as (
    select
        client_id,
        channel,
        count(*) as touches,
        min(touched_at) as first_touched_at,
        min(touch_rank) as first_touch_rank
    from ranked_touches
    group by client_id, channel
),

touch_summary as (
    select
        client_id,
        sum(touches) as touches,
        count(channel) as channels_touched,
        min(first_touched_at) as first_touched_at,
        max(case when first_touch_rank = 1 then channel end) as first_touch_channel
    from channel_touches
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

{# one join of the two summaries (the deals' is the small side); a union of client ids joined to both
   held every client in several hash tables at once (out of memory at 10 M contacts) #}
client_summary as (
    select
        coalesce(touch_summary.client_id, deal_summary.client_id) as client_id,
        touch_summary.touches,
        touch_summary.channels_touched,
        touch_summary.first_touched_at,
        touch_summary.first_touch_channel,
        deal_summary.deals_won,
        deal_summary.revenue,
        deal_summary.gross_profit,
        deal_summary.first_deal_closed_date,
        deal_summary.last_deal_closed_date,
        deal_summary.first_deal_channel
    from touch_summary
    full outer join deal_summary on touch_summary.client_id = deal_summary.client_id
),

final as (
    select
        client_id,
        first_touch_channel,
        first_touched_at,
        cast(coalesce(touches, 0) as {{ dbt.type_bigint() }}) as touches,
        cast(coalesce(channels_touched, 0) as {{ dbt.type_bigint() }}) as channels_touched,
        first_deal_channel,
        first_deal_closed_date,
        cast({{ dbt.date_trunc('month', 'first_deal_closed_date') }} as date)
            as acquisition_month,
        last_deal_closed_date,
        cast(coalesce(deals_won, 0) as {{ dbt.type_bigint() }}) as deals_won,
        cast(coalesce(revenue, 0) as {{ dbt.type_numeric() }}) as revenue,
        cast(coalesce(gross_profit, 0) as {{ dbt.type_numeric() }}) as gross_profit,
        coalesce(deals_won, 0) > 0 as is_buyer,
        coalesce(deals_won, 0) > 1 as is_returning
    from client_summary
)

select * from final
