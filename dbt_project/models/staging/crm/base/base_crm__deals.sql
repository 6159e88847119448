{# Every raw deal row, typed, with the first rule it breaks (NULL when usable). Whether a won deal's
   currency has an exchange rate is checked where money is converted (int_deals_converted_to_base). #}
{# A table: staging, quarantine, file reconciliation and the nightly rebuild plan all read every version.
   Incremental on DuckDB (dbt_project.yml): a raw row is typed and checked once, when its file is loaded
   (raw_rows_to_append). #}
{# the typed columns the table keeps (the raw_<column> text only serves raw_record): each raw column is
   typed its own way below (text, lower/upper, a timestamp or a number, renamed), so the typed select
   names them, and this list is its output; the raw columns come from the contract (raw_export_columns) #}
{% set typed_columns = [
    'deal_id', 'lead_id', 'client_key', 'deal_status', 'currency_code', 'amount', 'created_at',
    'closed_at', 'updated_at', 'source_file', 'source_line', 'loaded_at', 'amount_text',
    'created_at_text', 'closed_at_text', 'updated_at_text'
] %}
with

source as (
    {{ raw_rows_to_append(source('raw', 'deals')) }}
),

typed as (
    select
        -- ids
        {{ blank_to_null('deal_id') }} as deal_id,
        {{ blank_to_null('lead_id') }} as lead_id,
        -- text
        {{ blank_to_null('client_key') }} as client_key,
        lower({{ blank_to_null('status') }}) as deal_status,
        upper({{ blank_to_null('currency') }}) as currency_code,
        -- numerics
        {{ try_cast('amount', dbt.type_numeric()) }} as amount,
        -- timestamps
        {{ try_cast('created_at', dbt.type_timestamp()) }} as created_at,
        {{ try_cast('closed_at', dbt.type_timestamp()) }} as closed_at,
        {{ try_cast('updated_at', dbt.type_timestamp()) }} as updated_at,
        -- lineage
        source_file,
        source_line,
        loaded_at,
        {{ raw_columns('source', raw_export_columns('deals')) }},
        {{ blank_to_null('amount') }} as amount_text,
        {{ blank_to_null('created_at') }} as created_at_text,
        {{ blank_to_null('closed_at') }} as closed_at_text,
        {{ blank_to_null('updated_at') }} as updated_at_text
    from source
),

checked as (
    select
        typed.*,
        {{ rejection_reason([
            ("deal_id is null", "deal_id is empty"),
            ("created_at_text is null", "created_at is empty"),
            ("created_at is null", "created_at is not a timestamp"),
            ("closed_at_text is not null and closed_at is null", "closed_at is not a timestamp"),
            ("updated_at_text is not null and updated_at is null", "updated_at is not a timestamp"),
            ("deal_status is null", "status is empty"),
            ("deal_status not in ('open', 'won', 'lost')", "status is not one of open, won, lost"),
            ("amount_text is not null and amount is null", "amount is not a number"),
            ("amount < 0", "amount is negative"),
            ("deal_status = 'won' and amount is null", "a won deal has no amount"),
            ("deal_status = 'won' and closed_at is null", "a won deal has no closed_at"),
            ("currency_code is not null and not " ~ is_currency_code('currency_code'),
             "currency is not a 3-letter ISO 4217 code"),
        ]) }} as row_rejection_reason
    from typed
),

final as (
    {{ with_conflicting_versions('checked', 'deal_id', raw_export_columns('deals'), typed_columns) }}
)

select * from final
