{# One row per contact: the latest usable version, its channel by the rules, the client key hashed. #}
with

usable_versions as (
    select * from {{ ref('base_crm__contacts') }}
    where rejection_reason is null
),

latest as (
    {{ latest_version('usable_versions', ['contact_id']) }}
),

channelled as (
    {{ with_channel('latest', source('raw', 'contacts')) }}
),

{# the client key's digits once: normalize_client_key reads them four times #}
with_key_digits as (
    select channelled.*, {{ client_key_digits('client_key') }} as client_key_digits
    from channelled
),

final as (
    select
        -- ids
        contact_id,
        lead_id,
        {{ hash_personal_data(normalize_client_key('client_key', 'client_key_digits')) }} as client_key_hash,
        -- text
        contact_type,
        source,
        medium,
        campaign,
        channel,
        -- timestamps
        received_at,
        cast(received_at as date) as received_date,
        updated_at,
        -- lineage
        source_file,
        source_line,
        loaded_at
    from with_key_digits
)

select * from final
