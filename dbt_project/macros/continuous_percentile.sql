{# The p-th percentile (0 ≤ p ≤ 1) of a numeric column within a group, interpolated linearly between
   the two nearest values (as PostgreSQL's percentile_cont). Every engine spells it differently. #}
{% macro continuous_percentile(column, fraction) -%}
    {{ return(adapter.dispatch('continuous_percentile', 'membrana')(column, fraction)) }}
{%- endmacro %}

{% macro default__continuous_percentile(column, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ column }})
{%- endmacro %}

{% macro duckdb__continuous_percentile(column, fraction) -%}
    quantile_cont({{ column }}, {{ fraction }})
{%- endmacro %}

{# Spark's percentile is exact and interpolates like percentile_cont; percentile_approx would not
   interpolate, so medians of two values would differ from DuckDB's. Groups here are small
   (the leads of one month and channel). #}
{% macro spark__continuous_percentile(column, fraction) -%}
    percentile({{ column }}, {{ fraction }})
{%- endmacro %}
