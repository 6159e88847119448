{# Every raw meeting row, typed, with the first rule it breaks (NULL when usable). #}
{# A table: staging, quarantine, file reconciliation and the nightly rebuild plan all read every version.
   Incremental on DuckDB (dbt_project.yml): a raw row is typed and checked once, when its file is loaded
   (raw_rows_to_append). #}
{# the typed columns the table keeps (the raw_<column> text only serves raw_record): each raw column is
   typed its own way below (text, lower/upper, a timestamp or a number, renamed), so the typed select
   names them, and this list is its output; the raw columns come from the contract (raw_export_columns) #}
{% set typed_columns = [
    'meeting_id', 'lead_id', 'manager_id', 'meeting_status', 'booked_at', 'scheduled_at',
    'updated_at', 'source_file', 'source_line', 'loaded_at', 'booked_at_text', 'scheduled_at_text',
    'updated_at_text'
] %}
with

source as (
    {{ raw_rows_to_append(source('raw', 'meetings')) }}
),

typed as (
    select
        -- ids
        {{ blank_to_null('meeting_id') }} as meeting_id,
        {{ blank_to_null('lead_id') }} as lead_id,
        {{ blank_to_null('manager_id') }} as manager_id,
        -- text
        lower({{ blank_to_null('status') }}) as meeting_status,
        -- timestamps
        {{ try_cast('booked_at', dbt.type_timestamp()) }} as booked_at,
        {{ try_cast('scheduled_at', dbt.type_timestamp()) }} as scheduled_at,
        {{ try_cast('updated_at', dbt.type_timestamp()) }} as updated_at,
        -- lineage
        source_file,
        source_line,
        loaded_at,
        {{ raw_columns('source', raw_export_columns('meetings')) }},
        {{ blank_to_null('booked_at') }} as booked_at_text,
        {{ blank_to_null('scheduled_at') }} as scheduled_at_text,
        {{ blank_to_null('updated_at') }} as updated_at_text
    from source
),

checked as (
    select
        typed.*,
        {{ rejection_reason([
            ("meeting_id is null", "meeting_id is empty"),
            ("lead_id is null", "lead_id is empty"),
            ("booked_at_text is null", "booked_at is empty"),
            ("booked_at is null", "booked_at is not a timestamp"),
            ("scheduled_at_text is not null and scheduled_at is null", "scheduled_at is not a timestamp"),
            ("updated_at_text is not null and updated_at is null", "updated_at is not a timestamp"),
            ("meeting_status is null", "status is empty"),
            ("meeting_status not in ('planned', 'held', 'no_show', 'cancelled', 'rescheduled')",
             "status is not one of planned, held, no_show, cancelled, rescheduled"),
            ("meeting_status in ('held', 'no_show') and scheduled_at is null",
             "a held or no-show meeting has no scheduled_at"),
        ]) }} as row_rejection_reason
    from typed
),

final as (
    {{ with_conflicting_versions('checked', 'meeting_id', raw_export_columns('meetings'), typed_columns) }}
)

select * from final
