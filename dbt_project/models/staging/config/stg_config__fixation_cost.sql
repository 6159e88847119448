with

source as (
    select * from {{ source('config', 'fixation_cost') }}
),

renamed as (
    select
        lower(trim(channel)) as channel,
        cast(effective_from as date) as effective_from,
        cast(cost_per_fixed_lead as {{ dbt.type_numeric() }}) as cost_per_fixed_lead,
        upper({{ blank_to_null('currency') }}) as currency_code
    from source
)

select * from renamed
