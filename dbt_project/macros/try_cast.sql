{# A cast that gives NULL instead of an error, on every engine. dbt.safe_cast is a plain CAST on
   DuckDB and on Spark over Thrift (ANSI mode), so bad input would fail the build instead of
   reaching quarantine. Empty strings count as missing. #}
{% macro try_cast(expression, data_type) -%}
    {{ return(adapter.dispatch('try_cast', 'membrana')(expression, data_type)) }}
{%- endmacro %}

{% macro default__try_cast(expression, data_type) -%}
    try_cast(nullif(trim({{ expression }}), '') as {{ data_type }})
{%- endmacro %}
