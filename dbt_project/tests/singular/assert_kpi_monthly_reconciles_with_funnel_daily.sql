{# kpi_monthly is funnel_daily summed by month and channel: each month's totals must agree exactly
   (same decimals, no rounding). Returns the months and measures that differ. #}
with

daily as (
    select
        cast({{ dbt.date_trunc('month', 'date') }} as date) as month,
        sum(incoming_contacts) as incoming_contacts,
        sum(fixed_leads) as fixed_leads,
        sum(meetings_booked) as meetings_booked,
        sum(meetings_held) as meetings_held,
        sum(no_shows) as no_shows,
        sum(deals_won) as deals_won,
        sum(revenue) as revenue,
        sum(acquisition_cost) as acquisition_cost
    from {{ ref('funnel_daily') }}
    group by 1
),

monthly as (
    select
        month,
        sum(incoming_contacts) as incoming_contacts,
        sum(fixed_leads) as fixed_leads,
        sum(meetings_booked) as meetings_booked,
        sum(meetings_held) as meetings_held,
        sum(no_shows) as no_shows,
        sum(deals_won) as deals_won,
        sum(revenue) as revenue,
        sum(acquisition_cost) as acquisition_cost
    from {{ ref('kpi_monthly') }}
    group by month
)

select
    coalesce(daily.month, monthly.month) as month,
    daily.incoming_contacts as daily_incoming_contacts,
    monthly.incoming_contacts as monthly_incoming_contacts,
    daily.deals_won as daily_deals_won,
    monthly.deals_won as monthly_deals_won,
    daily.revenue as daily_revenue,
    monthly.revenue as monthly_revenue
from daily
full outer join monthly on daily.month = monthly.month
where daily.month is null
    or monthly.month is null
    {% for measure in ['incoming_contacts', 'fixed_leads', 'meetings_booked', 'meetings_held',
                       'no_shows', 'deals_won', 'revenue', 'acquisition_cost'] %}
    or daily.{{ measure }} <> monthly.{{ measure }}
    {% endfor %}
