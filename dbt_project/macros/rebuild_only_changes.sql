{# The watermark of the last passed build: raw rows loaded after it are new. The orchestrator sets
   MEMBRANA_LOADED_AFTER and leaves it empty on a full refresh. An environment variable, not a dbt var
   (a var that changes makes dbt parse the whole project again), read only while dbt runs, never while
   it parses (`execute`): dbt parses again every file whose environment variables changed since its
   saved parse, and the watermark changes every night (5 s of parsing a night at 1 M contacts). #}
{% macro build_watermark() -%}
    {{- return(env_var('MEMBRANA_LOADED_AFTER', '') if execute else '') -}}
{%- endmacro %}

{# The watermark as a timestamp (the first day of 1900 on a full refresh: every row is new). #}
{% macro loaded_after() -%}
    cast('{{ membrana.build_watermark() or '1900-01-01' }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{# True when an incremental model rebuilds only what changed since loaded_after(); false on its first
   build, on a full refresh and where it is a table (Spark), which rebuild every row. #}
{% macro rebuilds_changes_only() -%}
    {{ return(is_incremental() and membrana.build_watermark() != '') }}
{%- endmacro %}

{# The pre-hook of a model that an incremental run rebuilds in part and appends to: empties the rows it
   rebuilds (`key` in the query `rebuild_set`) first, since a row can vanish, which delete+insert by key
   would keep; every row when the run rebuilds them all. #}
{% macro empty_rows_to_rebuild(relation, key, rebuild_set) -%}
    {%- if membrana.rebuilds_changes_only() -%}
        delete from {{ relation }} where {{ key }} in ({{ rebuild_set }})
    {%- elif is_incremental() -%}
        delete from {{ relation }}
    {%- endif -%}
{%- endmacro %}

{# A filter on `column` to the rows a nightly run rebuilds (those in the query `rebuild_set`); no filter
   when the model rebuilds every row. #}
{% macro in_rebuild_set(column, rebuild_set) -%}
    {%- if membrana.rebuilds_changes_only() -%}
        {{ column }} in ({{ rebuild_set }})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{# A filter on `column` to the leads a nightly run rebuilds (int_leads_to_rebuild). A model using it
   declares `-- depends_on: ref('int_leads_to_rebuild')`. #}
{% macro in_leads_to_rebuild(column='lead_id') -%}
    {{ membrana.in_rebuild_set(column, 'select lead_id from ' ~ ref('int_leads_to_rebuild')) }}
{%- endmacro %}

{# The first day a newly loaded exchange rate re-prices (NULL when none was loaded): every later day
   converts with it or a later one. #}
{% macro first_day_of_new_rates() -%}
    (select min(rate_date) from {{ ref('base_marketing__fx_rates') }} where loaded_at > {{ membrana.loaded_after() }})
{%- endmacro %}

{# The months a nightly run rebuilds in the monthly marts built from lead-level rows: the months of
   the days funnel_daily rebuilds (int_funnel_days_to_rebuild), which hold every day, old and new,
   of each rebuilt lead's creation. A model using it declares
   `-- depends_on: ref('int_funnel_days_to_rebuild')`. #}
{% macro months_to_rebuild() -%}
    select distinct cast({{ dbt.date_trunc('month', 'date_day') }} as date)
    from {{ ref('int_funnel_days_to_rebuild') }}
{%- endmacro %}
