with

source as (
    select * from {{ source('config', 'channels') }}
),

renamed as (
    select
        lower(trim(channel)) as channel,
        trim(name) as channel_name,
        lower(trim(channel_group)) as channel_group,
        {{ blank_to_null('flow') }} as flow
    from source
)

select * from renamed
