{# Every raw lead row, typed, with the first rule it breaks (NULL when usable). #}
{# A table: staging, quarantine, file reconciliation and the nightly rebuild plan all read every version.
   Incremental on DuckDB (dbt_project.yml): a raw row is typed and checked once, when its file is loaded
   (raw_rows_to_append). #}
{# the typed columns the table keeps (the raw_<column> text only serves raw_record): each raw column is
   typed its own way below (text, lower/upper, a timestamp or a number, renamed), so the typed select
   names them, and this list is its output; the raw columns come from the contract (raw_export_columns) #}
{% set typed_columns = [
    'lead_id', 'operator_id', 'manager_id', 'client_key', 'source', 'medium', 'campaign',
    'lead_status', 'created_at', 'updated_at', 'source_file', 'source_line', 'loaded_at',
    'created_at_text', 'updated_at_text'
] %}
with

source as (
    {{ raw_rows_to_append(source('raw', 'leads')) }}
),

typed as (
    select
        -- ids
        {{ blank_to_null('lead_id') }} as lead_id,
        {{ blank_to_null('operator_id') }} as operator_id,
        {{ blank_to_null('manager_id') }} as manager_id,
        -- text
        {{ blank_to_null('client_key') }} as client_key,
        {{ blank_to_null('source') }} as source,
        {{ blank_to_null('medium') }} as medium,
        {{ blank_to_null('campaign') }} as campaign,
        lower({{ blank_to_null('status') }}) as lead_status,
        -- timestamps
        {{ try_cast('created_at', dbt.type_timestamp()) }} as created_at,
        {{ try_cast('updated_at', dbt.type_timestamp()) }} as updated_at,
        -- lineage
        source_file,
        source_line,
        loaded_at,
        {{ raw_columns('source', raw_export_columns('leads')) }},
        {{ blank_to_null('created_at') }} as created_at_text,
        {{ blank_to_null('updated_at') }} as updated_at_text
    from source
),

checked as (
    select
        typed.*,
        {{ rejection_reason([
            ("lead_id is null", "lead_id is empty"),
            ("created_at_text is null", "created_at is empty"),
            ("created_at is null", "created_at is not a timestamp"),
            ("updated_at_text is not null and updated_at is null", "updated_at is not a timestamp"),
        ]) }} as row_rejection_reason
    from typed
),

final as (
    {{ with_conflicting_versions('checked', 'lead_id', raw_export_columns('leads'), typed_columns) }}
)

select * from final
