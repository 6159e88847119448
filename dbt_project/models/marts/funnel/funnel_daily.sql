{# Replacing the touched days: delete+insert by date on DuckDB; on Spark (no merge without Delta)
   the table is partitioned by date and the touched days' partitions are overwritten. #}
{{
    config(
        materialized='incremental',
        unique_key='date',
        incremental_strategy='insert_overwrite' if target.type == 'spark' else 'delete+insert',
        partition_by=['date'] if target.type == 'spark' else none,
        pre_hook="{% if is_incremental() and membrana.build_watermark() %}
            {{ membrana.empty_rebuilt_days(this, ref('int_funnel_days_to_rebuild')) }}
            {% endif %}",
    )
}}
-- depends_on: {{ ref('int_funnel_days_to_rebuild') }}
{# One row per day and channel: each funnel event on the day it happened, and the day's costs.
   Incremental: a nightly run rebuilds only the days that new exports touched (all of them when
   MEMBRANA_LOADED_AFTER is not set). The pre-hook empties those days first: delete+insert alone would
   keep the old rows of a day that has no event left. #}
with

events as (
    select * from {{ ref('int_funnel_events_unioned') }}
    {% if is_incremental() and membrana.build_watermark() %}
    where event_date in (select date_day from {{ ref('int_funnel_days_to_rebuild') }})
    {% endif %}
),

daily as (
    select
        event_date,
        channel,
        {{ sum_each(funnel_counts() + funnel_money()) }}
    from events
    group by event_date, channel
),

fixation_prices as (
    select channel, date_day, cost_per_fixed_lead from {{ ref('int_fixation_prices_daily') }}
),

priced as (
    select
        daily.*,
        {# a channel's own price beats the '*' price (CONTRACT.md) #}
        coalesce(own_price.cost_per_fixed_lead, any_channel_price.cost_per_fixed_lead, 0)
            as cost_per_fixed_lead
    from daily
    left join fixation_prices as own_price
        on daily.channel = own_price.channel and daily.event_date = own_price.date_day
    left join fixation_prices as any_channel_price
        on any_channel_price.channel = '*' and daily.event_date = any_channel_price.date_day
),

final as (
    select
        event_date as date,
        channel,
        cast(incoming_contacts as {{ dbt.type_bigint() }}) as incoming_contacts,
        cast(fixed_leads as {{ dbt.type_bigint() }}) as fixed_leads,
        cast(meetings_booked as {{ dbt.type_bigint() }}) as meetings_booked,
        cast(meetings_held as {{ dbt.type_bigint() }}) as meetings_held,
        cast(no_shows as {{ dbt.type_bigint() }}) as no_shows,
        cast(deals_won as {{ dbt.type_bigint() }}) as deals_won,
        cast(deals_without_lead as {{ dbt.type_bigint() }}) as deals_without_lead,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        cast(revenue_without_lead as {{ dbt.type_numeric() }}) as revenue_without_lead,
        cast(ad_spend as {{ dbt.type_numeric() }}) as ad_spend,
        cast(other_costs as {{ dbt.type_numeric() }}) as other_costs,
        cast(fixed_leads * cost_per_fixed_lead as {{ dbt.type_numeric() }}) as fixation_cost,
        cast(ad_spend + other_costs + fixed_leads * cost_per_fixed_lead as {{ dbt.type_numeric() }})
            as acquisition_cost
    from priced
)

select * from final
