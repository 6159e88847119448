{# Other acquisition costs spread evenly over the days of their period, each day's share converted at
   that day's rate. A cost whose currency has no rate on its first day goes to quarantine whole. #}
with

costs as (
    select
        stg_marketing__costs.*,
        {{ dbt.datediff('period_start', 'period_end', 'day') }} + 1 as period_days
    from {{ ref('stg_marketing__costs') }}
),

cost_days as (
    {{ expand_to_days('select * from costs', 'period_start', 'period_end') }}
),

converted as (
    select
        cost_days.channel,
        cost_days.cost_type,
        cost_days.date_day,
        cost_days.source_file,
        cost_days.source_line,
        cost_days.raw_record,
        cost_days.currency_code,
        cast(cost_days.amount as {{ dbt.type_numeric() }}) / cost_days.period_days * fx.rate_to_base as cost_base,
        cost_days.date_day = cost_days.period_start as is_first_day,
        fx.rate_to_base is null as is_missing_rate
    from cost_days
    left join {{ ref('int_fx_rates_daily') }} as fx
        on cost_days.currency_code = fx.currency_code
        and cost_days.date_day = fx.date_day
),

rows_without_rate as (
    select distinct source_file, source_line from converted where is_missing_rate
)

select
    converted.*,
    rows_without_rate.source_line is not null as is_quarantined
from converted
left join rows_without_rate
    on converted.source_file = rows_without_rate.source_file
    and converted.source_line = rows_without_rate.source_line
