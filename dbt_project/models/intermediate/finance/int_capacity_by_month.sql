{# The capacity settings in force in each month of the calendar: the latest capacity.csv row whose
   effective_from is on or before the month's first day (the earliest row for months before it). #}
with

months as (
    select distinct cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month
    from {{ ref('int_calendar_days') }}
),

settings as (
    select * from {{ ref('stg_config__capacity') }}
),

ranked as (
    select
        months.month,
        settings.*,
        row_number() over (
            partition by months.month
            order by case when settings.effective_from <= months.month then 0 else 1 end,
                case when settings.effective_from <= months.month then settings.effective_from end desc,
                settings.effective_from
        ) as setting_rank
    from months
    cross join settings
)

select * from ranked where setting_rank = 1
