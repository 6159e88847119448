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
        {# counts parse as decimals first: a cast straight to an integer would round '1.5' #}
        cast({{ try_cast('impressions', dbt.type_numeric()) }} as {{ dbt.type_bigint() }}) as impressions,
        cast({{ try_cast('clicks', dbt.type_numeric()) }} as {{ dbt.type_bigint() }}) as clicks,
        {{ try_cast('impressions', dbt.type_numeric()) }} as impressions_number,
        {{ try_cast('clicks', dbt.type_numeric()) }} as clicks_number,
        -- dates
        {{ try_cast('date', 'date') }} as spend_date,
        -- lineage
        source_file,
        source_line,
        loaded_at,
        {{ raw_record(raw_export_columns('ad_spend')) }} as raw_record,
        {{ blank_to_null('date') }} as date_text,
        {{ blank_to_null('cost') }} as cost_text,
        {{ blank_to_null('impressions') }} as impressions_text,
        {{ blank_to_null('clicks') }} as clicks_text
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
            ("not " ~ is_currency_code('currency_code'), "currency is not a 3-letter ISO 4217 code"),
            ("impressions_text is not null and (impressions_number is null or impressions_number < 0"
             " or impressions_number <> floor(impressions_number))", "impressions is not a whole number >= 0"),
            ("clicks_text is not null and (clicks_number is null or clicks_number < 0"
             " or clicks_number <> floor(clicks_number))", "clicks is not a whole number >= 0"),
        ]) }} as rejection_reason
    from typed
)

select * from checked
