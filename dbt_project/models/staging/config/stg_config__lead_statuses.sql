{# One row per CRM lead status of config/lead_statuses.csv and its canonical stage, both compared
   trimmed and lowercase. #}
with

source as (
    select * from {{ source('config', 'lead_statuses') }}
),

renamed as (
    select
        lower(trim(status)) as lead_status,
        lower(trim(stage)) as stage
    from source
)

select * from renamed
