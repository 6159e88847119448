with

source as (
    select * from {{ source('config', 'channel_rules') }}
),

renamed as (
    select
        cast(priority as {{ dbt.type_int() }}) as priority,
        {{ channel_key('source') }} as source_pattern,
        {{ channel_key('medium') }} as medium_pattern,
        {{ channel_key('campaign') }} as campaign_pattern,
        lower(trim(channel)) as channel
    from source
)

select * from renamed
