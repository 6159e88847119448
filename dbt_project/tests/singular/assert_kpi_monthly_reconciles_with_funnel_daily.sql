{# kpi_monthly is funnel_daily summed by month and channel: each month's totals must agree exactly
   (same decimals, no rounding). Returns the months and measures that differ. #}
{% set measures = funnel_counts() + ['revenue', 'acquisition_cost'] %}
with

daily as (
    select
        cast({{ dbt.date_trunc('month', 'date') }} as date) as month,
        {{ sum_each(measures) }}
    from {{ ref('funnel_daily') }}
    group by 1
),

monthly as (
    select
        month,
        {{ sum_each(measures) }}
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
    {% for measure in measures %}
    or daily.{{ measure }} <> monthly.{{ measure }}
    {% endfor %}
