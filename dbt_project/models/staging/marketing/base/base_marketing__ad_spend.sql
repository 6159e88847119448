{# Every raw ad-spend row, typed, with the first rule it breaks (NULL when usable). #}
with

source as (
    select * from {{ source('raw', 'ad_spend') }}
),

typed as (
    select
        -- text
        {{ blank_to_null('platform') }} as platform,
        {{ blank_to_null('campaign') }} as campaign,
        {# CONTRACT.md: spend with no source takes its platform as source #}
        coalesce({{ blank_to_null('source') }}, {{ blank_to_null('platform') }}) as source,
        {{ blank_to_null('medium') }} as medium,
        upper({{ blank_to_null('currency') }}) as currency_code,
        -- numerics
        {{ try_cast('cost', dbt.type_numeric()) }} as cost,
        {{ try_cast('impressions', dbt.type_bigint()) }} as impressions,
        {{ try_cast('clicks', dbt.type_bigint()) }} as clicks,
        -- dates
        {{ try_cast('date', 'date') }} as spend_date,
        -- lineage
        source_file,
        source_line,
        loaded_at,
        {{ raw_record(['date', 'platform', 'campaign', 'source', 'medium', 'cost', 'currency',
                       'impressions', 'clicks']) }} as raw_record,
        {{ blank_to_null('date') }} as date_text,
        {{ blank_to_null('cost') }} as cost_text
    from source
),

checked as (
    select
        typed.*,
        {{ rejection_reason([
            ("date_text is null", "date is empty"),
            ("spend_date is null", "date is not a date"),
            ("platform is null", "platform is empty"),
            ("cost_text is null", "cost is empty"),
            ("cost is null", "cost is not a number"),
            ("cost < 0", "cost is negative"),
            ("currency_code is null", "currency is empty"),
        ]) }} as rejection_reason
    from typed
)

select * from checked
