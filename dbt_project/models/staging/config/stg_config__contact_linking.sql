{# Which contacts that carry no CRM lead id may be linked to a lead by client key: source and
   contact_type LIKE patterns (lowercased, '' = anything) and the window in days after the contact
   (empty = 3). No row: no contact is linked this way. #}
with

source as (
    select * from {{ source('config', 'contact_linking') }}
),

renamed as (
    select
        {{ channel_key('source') }} as source_pattern,
        {{ channel_key('contact_type') }} as contact_type_pattern,
        coalesce(cast({{ blank_to_null('link_window_days') }} as {{ dbt.type_int() }}), 3) as link_window_days
    from source
)

select * from renamed
