{# One row per raw ad-spend row that is usable (rows are facts, summed, not versions), with its
   channel by the rules. Money still in its own currency. #}
with

usable_rows as (
    select * from {{ ref('base_marketing__ad_spend') }}
    where rejection_reason is null
),

channelled as (
    {{ with_channel('usable_rows') }}
),

final as (
    select
        platform,
        source,
        medium,
        campaign,
        channel,
        currency_code,
        cost,
        impressions,
        clicks,
        spend_date,
        source_file,
        source_line,
        loaded_at,
        raw_record
    from channelled
)

select * from final
