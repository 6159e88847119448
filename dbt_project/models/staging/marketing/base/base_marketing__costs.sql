{# Every raw row of other acquisition costs, typed, with the first rule it breaks (NULL when usable). #}
with

source as (
    select * from {{ source('raw', 'costs') }}
),

typed as (
    select
        -- text
        lower({{ blank_to_null('channel') }}) as channel,
        {{ blank_to_null('cost_type') }} as cost_type,
        upper({{ blank_to_null('currency') }}) as currency_code,
        -- numerics
        {{ try_cast('amount', dbt.type_numeric()) }} as amount,
        -- dates
        {{ try_cast('period_start', 'date') }} as period_start,
        {{ try_cast('period_end', 'date') }} as period_end,
        -- lineage
        source_file,
        source_line,
        loaded_at,
        {{ raw_record(raw_export_columns('costs')) }} as raw_record,
        {{ blank_to_null('amount') }} as amount_text,
        {{ blank_to_null('period_start') }} as period_start_text,
        {{ blank_to_null('period_end') }} as period_end_text
    from source
),

checked as (
    select
        typed.*,
        {{ rejection_reason([
            ("period_start_text is null", "period_start is empty"),
            ("period_start is null", "period_start is not a date"),
            ("period_end_text is null", "period_end is empty"),
            ("period_end is null", "period_end is not a date"),
            ("period_end < period_start", "period_end is before period_start"),
            ("channel is null", "channel is empty"),
            ("amount_text is null", "amount is empty"),
            ("amount is null", "amount is not a number"),
            ("amount < 0", "amount is negative"),
            ("currency_code is null", "currency is empty"),
            ("not " ~ is_currency_code('currency_code'), "currency is not a 3-letter ISO 4217 code"),
        ]) }} as rejection_reason
    from typed
)

select * from checked
