{# A double-precision float. Not dbt.type_float(): that is FLOAT, single precision (4 bytes) on DuckDB
   and Spark, and the marts' ratios are 8-byte doubles. PostgreSQL spells it `double precision`. #}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'membrana')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double
{%- endmacro %}

{% macro postgres__type_double() -%}
    double precision
{%- endmacro %}
