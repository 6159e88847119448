{# Which membrane fell last month? Each channel's stage pass rates in the last complete month against
   the month before, the biggest falls first (for no_show_rate a rise is the fall). The drift alerts
   mart (`alerts`) judges the same against control limits; this is the quick month-over-month look. #}
with

last_month as (
    select max(month) as month from {{ ref('capacity_plan') }} where is_complete_month
),

months as (
    select kpi.*, case when kpi.month = last_month.month then 'last' else 'previous' end as period
    from {{ ref('kpi_monthly') }} as kpi
    cross join last_month
    where kpi.month = last_month.month
        or kpi.month = cast({{ dbt.dateadd('month', -1, 'last_month.month') }} as date)
),

membranes as (
    select period, channel, 'fixation_rate' as membrane, 'higher' as better_when, fixation_rate as rate from months
    union all
    select period, channel, 'booking_rate', 'higher', booking_rate from months
    union all
    select period, channel, 'no_show_rate', 'lower', no_show_rate from months
    union all
    select period, channel, 'closing_rate', 'higher', closing_rate from months
),

compared as (
    select
        channel,
        membrane,
        max(case when period = 'previous' then rate end) as previous_rate,
        max(case when period = 'last' then rate end) as last_rate,
        max(better_when) as better_when
    from membranes
    group by channel, membrane
)

select
    channel,
    membrane,
    previous_rate,
    last_rate,
    case when better_when = 'higher' then last_rate - previous_rate else previous_rate - last_rate end
        as change_for_the_better
from compared
where last_rate is not null and previous_rate is not null
order by change_for_the_better, channel, membrane
