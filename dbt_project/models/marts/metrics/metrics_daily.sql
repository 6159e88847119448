{# One row per day and channel: funnel_daily's additive measures with what the metrics layer
   (_metrics.yml) needs beside them: the channel's group, and revenue × the month's gross margin −
   acquisition cost, ROMI's numerator summed day by day so that ROMI is right at any grain. #}
with

funnel_days as (
    select * from {{ ref('funnel_daily') }}
),

channels as (
    select channel, channel_group from {{ ref('stg_config__channels') }}
),

margins as (
    select month, gross_margin from {{ ref('int_capacity_by_month') }}
),

final as (
    select
        funnel_days.date,
        funnel_days.channel,
        {# a channel that config/channels.csv does not name has no group #}
        coalesce(channels.channel_group, 'unknown') as channel_group,
        funnel_days.incoming_contacts,
        funnel_days.fixed_leads,
        funnel_days.meetings_booked,
        funnel_days.meetings_held,
        funnel_days.no_shows,
        funnel_days.deals_won,
        funnel_days.deals_without_lead,
        {# the deals a lead traces: the second membrane's and the conversion's numerator (kpi_monthly) #}
        funnel_days.deals_won - funnel_days.deals_without_lead as traced_deals_won,
        funnel_days.revenue,
        funnel_days.revenue_without_lead,
        funnel_days.ad_spend,
        funnel_days.other_costs,
        funnel_days.fixation_cost,
        funnel_days.acquisition_cost,
        funnel_days.revenue * margins.gross_margin - funnel_days.acquisition_cost
            as gross_profit_less_acquisition_cost
    from funnel_days
    left join channels on funnel_days.channel = channels.channel
    left join margins on cast({{ dbt.date_trunc('month', 'funnel_days.date') }} as date) = margins.month
)

select * from final
