{# The raw rows a base_crm__* table has yet to type: every row on a full build; on an incremental one,
   the rows loaded after the newest the table holds. The table's own high-water mark, not the
   orchestrator's watermark: a build that appended rows and then failed is retried without appending
   them twice. A file is loaded once, in one transaction, so its rows arrive together and the one
   rule across rows (with_conflicting_versions, within a file) sees the whole file. A replaced file
   makes the orchestrator run a full refresh. #}
{% macro raw_rows_to_append(raw_relation) -%}
    select * from {{ raw_relation }}
    {%- if is_incremental() %}
    where loaded_at > (
        select coalesce(max(loaded_at), cast('1900-01-01' as {{ dbt.type_timestamp() }})) from {{ this }}
    )
    {%- endif %}
{%- endmacro %}
