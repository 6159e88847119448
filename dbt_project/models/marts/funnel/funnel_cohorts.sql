{# One row per month of lead creation (the cohort), channel and week since creation (0 … the
   `cohort_weeks` var): how many of the month's leads had passed each membrane by the end of that
   week, cumulatively. A stage implies the ones before it (a won deal means the meeting was held and
   booked), so the counts can only narrow: won ≤ held ≤ booked ≤ fixed. A cohort is mature once its
   last day plus `cohort_maturity_weeks` weeks is within the data; younger cohorts are still open
   and will grow, so they must not be read as bad months. #}
with

leads as (
    select
        lead_id,
        channel,
        created_at,
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as cohort_month,
        least(first_meeting_booked_at, first_meeting_held_at, first_deal_won_at) as booked_at,
        least(first_meeting_held_at, first_deal_won_at) as held_at,
        first_deal_won_at as won_at
    from {{ ref('int_leads_joined_to_channels') }}
),

{# week 0 = the first 7 days after creation; a stage recorded before the lead counts in week 0, and
   one after the horizon as week cohort_weeks + 1, so that leads collapse into a few groups #}
lead_weeks as (
    select
        cohort_month,
        channel,
        {% for stage in ['booked', 'held', 'won'] -%}
        case when {{ stage }}_at is not null then least({{ var('cohort_weeks') + 1 }}, greatest(0, cast(floor(
            cast({{ dbt.datediff('created_at', stage ~ '_at', 'day') }} as {{ membrana.type_double() }}) / 7
        ) as {{ dbt.type_int() }}))) end as {{ stage }}_week{% if not loop.last %},{% endif %}
        {% endfor %}
    from leads
),

lead_groups as (
    select cohort_month, channel, booked_week, held_week, won_week, count(*) as leads
    from lead_weeks
    group by cohort_month, channel, booked_week, held_week, won_week
),

weeks as (
    {% for week in range(var('cohort_weeks') + 1) -%}
    select {{ week }} as week_number{% if not loop.last %} union all {% endif %}
    {% endfor %}
),

cohort_sizes as (
    select cohort_month, channel, sum(leads) as fixed_leads
    from lead_groups
    group by cohort_month, channel
),

passed_by_week as (
    select
        cohort_sizes.cohort_month,
        cohort_sizes.channel,
        weeks.week_number,
        cohort_sizes.fixed_leads
    from cohort_sizes
    cross join weeks
),

counted as (
    select
        passed_by_week.cohort_month,
        passed_by_week.channel,
        passed_by_week.week_number,
        passed_by_week.fixed_leads,
        {% for stage in ['booked', 'held', 'won'] -%}
        coalesce(sum(case when lead_groups.{{ stage }}_week <= passed_by_week.week_number
            then lead_groups.leads else 0 end), 0) as {{ stage }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from passed_by_week
    left join lead_groups
        on passed_by_week.cohort_month = lead_groups.cohort_month
        and passed_by_week.channel = lead_groups.channel
        and passed_by_week.week_number >= lead_groups.booked_week
    group by 1, 2, 3, 4
),

{# the data reaches the latest day with incoming contacts, as in capacity_plan #}
data_end as (
    select max(date) as last_date from {{ ref('funnel_daily') }} where incoming_contacts > 0
),

final as (
    select
        counted.cohort_month,
        counted.channel,
        cast(counted.week_number as {{ dbt.type_int() }}) as week_number,
        cast(counted.fixed_leads as {{ dbt.type_bigint() }}) as fixed_leads,
        cast(counted.booked as {{ dbt.type_bigint() }}) as meetings_booked,
        cast(counted.held as {{ dbt.type_bigint() }}) as meetings_held,
        cast(counted.won as {{ dbt.type_bigint() }}) as deals_won,
        {{ safe_divide('counted.booked', 'counted.fixed_leads') }} as booked_rate,
        {{ safe_divide('counted.won', 'counted.fixed_leads') }} as conversion_rate,
        {# every lead of the cohort has been watched for the whole week #}
        cast({{ dbt.dateadd('day', '7 * (counted.week_number + 1) - 1',
                            dbt.last_day('counted.cohort_month', 'month')) }} as date)
            <= data_end.last_date as is_week_complete,
        cast({{ dbt.dateadd('week', var('cohort_maturity_weeks'),
                            dbt.last_day('counted.cohort_month', 'month')) }} as date)
            <= data_end.last_date as is_mature
    from counted
    cross join data_end
)

select * from final
