{# One row per lead: the latest usable version, the channel of its own source/medium/campaign
   (used when no contact links to it), the client key hashed. #}
with

usable_versions as (
    select * from {{ ref('base_crm__leads') }}
    where rejection_reason is null
),

latest as (
    {{ latest_version('usable_versions', ['lead_id']) }}
),

channelled as (
    {{ with_channel('latest', source('raw', 'leads')) }}
),

{# the client key's digits once: normalize_client_key reads them four times #}
with_key_digits as (
    select channelled.*, {{ client_key_digits('client_key') }} as client_key_digits
    from channelled
),

final as (
    select
        -- ids
        lead_id,
        operator_id,
        manager_id,
        {{ hash_personal_data(normalize_client_key('client_key', 'client_key_digits')) }} as client_key_hash,
        -- text
        lead_status,
        source,
        medium,
        campaign,
        channel as own_channel,
        -- timestamps
        created_at,
        cast(created_at as date) as created_date,
        updated_at,
        -- lineage
        source_file,
        source_line,
        loaded_at
    from with_key_digits
)

select * from final
