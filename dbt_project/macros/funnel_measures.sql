{# The additive measures of the funnel, in the order of the contract's funnel_daily: event counts,
   then money. Marts and reconciliation tests sum these same columns. #}
{% macro funnel_counts() -%}
    {{ return(['incoming_contacts', 'fixed_leads', 'meetings_booked', 'meetings_held', 'no_shows', 'deals_won']) }}
{%- endmacro %}

{% macro funnel_money() -%}
    {{ return(['revenue', 'ad_spend', 'other_costs']) }}
{%- endmacro %}

{# `sum(column) as column` for each column, comma-separated. #}
{% macro sum_each(columns) -%}
    {%- for column in columns %}
        sum({{ column }}) as {{ column }}{% if not loop.last %},{% endif %}
    {%- endfor %}
{%- endmacro %}
