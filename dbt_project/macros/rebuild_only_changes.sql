{# The watermark of the last passed build: raw rows loaded after it are new. The orchestrator sets
   MEMBRANA_LOADED_AFTER and leaves it empty on a full refresh. An environment variable, not a dbt var:
   a var that changes every night makes dbt re-parse the whole project, a changed environment variable
   only the files that read it. #}
{% macro loaded_after() -%}
    cast('{{ env_var('MEMBRANA_LOADED_AFTER', '') or '1900-01-01' }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{# True when an incremental model rebuilds only what changed since loaded_after(); false on its first
   build, on a full refresh and where it is a table (Spark), which rebuild every row. #}
{% macro rebuilds_changes_only() -%}
    {{ return(is_incremental() and env_var('MEMBRANA_LOADED_AFTER', '') != '') }}
{%- endmacro %}

{# A filter on `column` to the leads a nightly run rebuilds (int_leads_to_rebuild); no filter when the
   model rebuilds every row. A model using it declares `-- depends_on: ref('int_leads_to_rebuild')`. #}
{% macro in_leads_to_rebuild(column='lead_id') -%}
    {%- if membrana.rebuilds_changes_only() -%}
        {{ column }} in (select lead_id from {{ ref('int_leads_to_rebuild') }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{# The months a nightly run rebuilds in the monthly marts built from lead-level rows: the months of
   the days funnel_daily rebuilds (int_funnel_days_to_rebuild), which hold every day, old and new,
   of each rebuilt lead's creation. A model using it declares
   `-- depends_on: ref('int_funnel_days_to_rebuild')`. #}
{% macro months_to_rebuild() -%}
    select distinct cast({{ dbt.date_trunc('month', 'date_day') }} as date)
    from {{ ref('int_funnel_days_to_rebuild') }}
{%- endmacro %}
