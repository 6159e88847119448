{# Every raw exchange-rate row, typed, with the first rule it breaks (NULL when usable). #}
with

source as (
    select * from {{ source('raw', 'fx_rates') }}
),

typed as (
    select
        upper({{ blank_to_null('currency') }}) as currency_code,
        {{ try_cast('rate_to_base', dbt.type_numeric()) }} as rate_to_base,
        {{ try_cast('date', 'date') }} as rate_date,
        source_file,
        source_line,
        loaded_at,
        {{ raw_record(raw_export_columns('fx_rates')) }} as raw_record,
        {{ blank_to_null('date') }} as date_text,
        {{ blank_to_null('rate_to_base') }} as rate_text
    from source
),

checked as (
    select
        typed.*,
        {{ rejection_reason([
            ("date_text is null", "date is empty"),
            ("rate_date is null", "date is not a date"),
            ("currency_code is null", "currency is empty"),
            ("not " ~ is_currency_code('currency_code'), "currency is not a 3-letter ISO 4217 code"),
            ("rate_text is null", "rate_to_base is empty"),
            ("rate_to_base is null", "rate_to_base is not a number"),
            ("rate_to_base <= 0", "rate_to_base is not positive"),
        ]) }} as rejection_reason
    from typed
)

select * from checked
