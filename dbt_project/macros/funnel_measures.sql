{# The additive measures of the funnel, in the order of the contract's funnel_daily: event counts,
   then money. Marts and reconciliation tests sum these same columns. Declared once, as the var
   funnel_measures in dbt_project.yml (which the Python quality suites read too). #}
{% macro funnel_counts() -%}
    {{ return(var('funnel_measures')['counts']) }}
{%- endmacro %}

{% macro funnel_money() -%}
    {{ return(var('funnel_measures')['money']) }}
{%- endmacro %}

{# `sum(column) as column` for each column, comma-separated. #}
{% macro sum_each(columns) -%}
    {%- for column in columns %}
        sum({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
