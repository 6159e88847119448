{# Empties the days an incremental run rebuilds (`date` in `days_relation`.date_day), so a day that
   lost its last event loses its rows. DuckDB/PostgreSQL delete them; plain Parquet tables on Spark
   have no DELETE, so the days' partitions are dropped (the table is partitioned by date there). #}
{% macro empty_rebuilt_days(relation, days_relation) -%}
    {{ return(adapter.dispatch('empty_rebuilt_days', 'membrana')(relation, days_relation)) }}
{%- endmacro %}

{% macro default__empty_rebuilt_days(relation, days_relation) -%}
    delete from {{ relation }} where date in (select date_day from {{ days_relation }})
{%- endmacro %}

{% macro spark__empty_rebuilt_days(relation, days_relation) -%}
    {%- if execute -%}
        {%- set days = run_query(
            'select distinct cast(date_day as ' ~ dbt.type_string() ~ ') from ' ~ days_relation
        ).columns[0].values() -%}
        {%- if days | length > 0 -%}
            alter table {{ relation }} drop if exists
            {%- for day in days | sort %} partition (date = '{{ day }}'){% if not loop.last %},{% endif %}{% endfor %}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}
