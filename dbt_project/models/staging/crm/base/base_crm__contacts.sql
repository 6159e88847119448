{# Every raw contact row, typed, with the first rule it breaks (NULL when usable). #}
{# A table: staging, quarantine, file reconciliation and the nightly rebuild plan all read every version.
   Incremental on DuckDB (dbt_project.yml): a raw row is typed and checked once, when its file is loaded
   (raw_rows_to_append). #}
{# the typed columns the table keeps (the raw_<column> text only serves raw_record): each raw column is
   typed its own way below (text, lower/upper, a timestamp or a number, renamed), so the typed select
   names them, and this list is its output; the raw columns come from the contract (raw_export_columns) #}
{% set typed_columns = [
    'contact_id', 'lead_id', 'contact_type', 'source', 'medium', 'campaign', 'client_key',
    'received_at', 'updated_at', 'source_file', 'source_line', 'loaded_at', 'received_at_text',
    'updated_at_text'
] %}
with

source as (
    {{ raw_rows_to_append(source('raw', 'contacts')) }}
),

typed as (
    select
        -- ids
        {{ blank_to_null('contact_id') }} as contact_id,
        {{ blank_to_null('lead_id') }} as lead_id,
        -- text
        lower({{ blank_to_null('contact_type') }}) as contact_type,
        {{ blank_to_null('source') }} as source,
        {{ blank_to_null('medium') }} as medium,
        {{ blank_to_null('campaign') }} as campaign,
        {{ blank_to_null('client_key') }} as client_key,
        -- timestamps
        {{ try_cast('received_at', dbt.type_timestamp()) }} as received_at,
        {{ try_cast('updated_at', dbt.type_timestamp()) }} as updated_at,
        -- lineage
        source_file,
        source_line,
        loaded_at,
        {{ raw_columns('source', raw_export_columns('contacts')) }},
        {{ blank_to_null('received_at') }} as received_at_text,
        {{ blank_to_null('updated_at') }} as updated_at_text
    from source
),

checked as (
    select
        typed.*,
        {{ rejection_reason([
            ("contact_id is null", "contact_id is empty"),
            ("received_at_text is null", "received_at is empty"),
            ("received_at is null", "received_at is not a timestamp"),
            ("source is null", "source is empty"),
            ("updated_at_text is not null and updated_at is null", "updated_at is not a timestamp"),
        ]) }} as row_rejection_reason
    from typed
),

final as (
    {{ with_conflicting_versions('checked', 'contact_id', raw_export_columns('contacts'), typed_columns) }}
)

select * from final
