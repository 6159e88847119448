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
        keyed.lead_id,
        keyed.operator_id,
        keyed.manager_id,
        {{ hash_personal_data(normalize_client_key('keyed.client_key')) }} as client_key_hash,
        -- text
        keyed.lead_status,
        keyed.source,
        keyed.medium,
        keyed.campaign,
        channels.channel as own_channel,
        -- timestamps
        keyed.created_at,
        cast(keyed.created_at as date) as created_date,
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
