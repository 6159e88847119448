{# One row per raw ad-spend row that is usable (rows are facts, summed, not versions), with its
   channel by the rules. Money still in its own currency. #}
with

usable_rows as (
    select * from {{ ref('base_marketing__ad_spend') }}
    where rejection_reason is null
),

keyed as (
    select
        usable_rows.*,
        {{ channel_key('source') }} as source_key,
        {{ channel_key('medium') }} as medium_key,
        {{ channel_key('campaign') }} as campaign_key
    from usable_rows
),

channel_keys as (
    select distinct source_key, medium_key, campaign_key from keyed
),

channels as (
    {{ channel_of('channel_keys') }}
),

final as (
    select
        keyed.platform,
        keyed.source,
        keyed.medium,
        keyed.campaign,
        channels.channel,
        keyed.currency_code,
        keyed.cost,
        keyed.impressions,
        keyed.clicks,
        keyed.spend_date,
        keyed.source_file,
        keyed.source_line,
        keyed.loaded_at,
        keyed.raw_record
    from keyed
    inner join channels
        on keyed.source_key = channels.source_key
        and keyed.medium_key = channels.medium_key
        and keyed.campaign_key = channels.campaign_key
)

select * from final
