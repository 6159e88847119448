{# MetricFlow's time spine (the time_spine config in _metrics.yml): every day of the calendar the
   funnel spans, for metrics by a period with no events and for offsets. #}
select cast(date_day as date) as date_day
from {{ ref('int_calendar_days') }}
