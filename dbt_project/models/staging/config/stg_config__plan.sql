{# One row per month and channel of config/plan.csv: the targets of the month (a blank target is
   NULL: no target set). The loader has checked that months are first days and targets not negative. #}
with

source as (
    select * from {{ source('config', 'plan') }}
),

renamed as (
    select
        cast(month as date) as month,
        channel,
        cast({{ blank_to_null('target_contacts') }} as {{ dbt.type_numeric() }}) as target_contacts,
        cast({{ blank_to_null('target_deals') }} as {{ dbt.type_numeric() }}) as target_deals,
        cast({{ blank_to_null('target_revenue') }} as {{ dbt.type_numeric() }}) as target_revenue,
        cast({{ blank_to_null('target_budget') }} as {{ dbt.type_numeric() }}) as target_budget
    from source
)

select * from renamed
