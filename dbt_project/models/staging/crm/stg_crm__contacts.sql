{# One row per contact: the latest usable version, its channel by the rules, the client key hashed. #}
with

usable_versions as (
    select * from {{ ref('base_crm__contacts') }}
    where rejection_reason is null
),

latest as (
    {{ latest_version('usable_versions', ['contact_id']) }}
),

keyed as (
    select
        latest.*,
        {{ channel_key('source') }} as source_key,
        {{ channel_key('medium') }} as medium_key,
        {{ channel_key('campaign') }} as campaign_key
    from latest
),

channel_keys as (
    select distinct source_key, medium_key, campaign_key from keyed
),

channels as (
    {{ channel_of('channel_keys') }}
),

final as (
    select
        -- ids
        keyed.contact_id,
        keyed.lead_id,
        {{ hash_personal_data(normalize_client_key('keyed.client_key')) }} as client_key_hash,
        -- text
        keyed.contact_type,
        keyed.source,
        keyed.medium,
        keyed.campaign,
        channels.channel,
        -- timestamps
        keyed.received_at,
        cast(keyed.received_at as date) as received_date,
        keyed.updated_at,
        -- lineage
        keyed.source_file,
        keyed.source_line,
        keyed.loaded_at
    from keyed
    inner join channels
        on keyed.source_key = channels.source_key
        and keyed.medium_key = channels.medium_key
        and keyed.campaign_key = channels.campaign_key
)

select * from final
