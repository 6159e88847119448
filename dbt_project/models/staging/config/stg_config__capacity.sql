{# One row per effective_from; the row in force for a month is the latest effective_from on or
   before the month's first day (see int_capacity_by_month). #}
with

source as (
    select * from {{ source('config', 'capacity') }}
),

renamed as (
    select
        cast(effective_from as date) as effective_from,
        cast(production_units as {{ dbt.type_numeric() }}) as production_units,
        cast(jobs_per_unit_per_shift as {{ dbt.type_numeric() }}) as jobs_per_unit_per_shift,
        cast(shift_hours as {{ dbt.type_numeric() }}) as shift_hours,
        cast(working_days_per_month as {{ dbt.type_numeric() }}) as working_days_per_month,
        cast(meeting_hours as {{ dbt.type_numeric() }}) as meeting_hours,
        cast(call_minutes as {{ dbt.type_numeric() }}) as call_minutes,
        cast(target_load as {{ dbt.type_numeric() }}) as target_load,
        cast(fixed_costs_per_month as {{ dbt.type_numeric() }}) as fixed_costs_per_month,
        cast(variable_cost_per_job as {{ dbt.type_numeric() }}) as variable_cost_per_job,
        cast(gross_margin as {{ dbt.type_numeric() }}) as gross_margin,
        upper(trim(base_currency)) as base_currency
    from source
)

select * from renamed
