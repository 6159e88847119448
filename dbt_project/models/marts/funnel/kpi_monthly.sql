{# One row per month and channel: the month's sums of funnel_daily and the KPIs of CONTRACT.md.
   Rebuilt whole from funnel_daily (a few hundred rows a year), so it always agrees with it.
   Won deals that no lead traces count in deals_won and revenue (and so in the average check, cost per
   deal and ROMI) but not in the pass rates: they passed no membrane of the channel, and in `unknown`
   they pushed its closing rate to 850 %. #}
with

monthly as (
    select
        cast({{ dbt.date_trunc('month', 'date') }} as date) as month,
        channel,
        {{ sum_each(funnel_counts() + funnel_money() + ['fixation_cost', 'acquisition_cost']) }}
    from {{ ref('funnel_daily') }}
    group by 1, 2
),

margins as (
    select month, gross_margin from {{ ref('int_capacity_by_month') }}
),

final as (
    select
        monthly.*,
        {{ safe_divide('monthly.acquisition_cost', 'monthly.fixed_leads') }} as cost_per_contact,
        {{ safe_divide('monthly.fixed_leads', 'monthly.incoming_contacts') }} as fixation_rate,
        {{ safe_divide('monthly.meetings_booked', 'monthly.incoming_contacts') }} as booking_rate,
        {{ safe_divide('monthly.no_shows', 'monthly.meetings_booked') }} as no_show_rate,
        {{ safe_divide('monthly.deals_won - monthly.deals_without_lead', 'monthly.meetings_held') }}
            as closing_rate,
        {{ safe_divide('monthly.deals_won - monthly.deals_without_lead', 'monthly.fixed_leads') }}
            as conversion_rate,
        {{ safe_divide('monthly.revenue', 'monthly.deals_won') }} as average_check,
        {{ safe_divide('monthly.acquisition_cost', 'monthly.deals_won') }} as cost_per_deal,
        {{ safe_divide('monthly.revenue * margins.gross_margin - monthly.acquisition_cost',
                       'monthly.acquisition_cost') }} as romi
    from monthly
    left join margins on monthly.month = margins.month
)

select * from final
