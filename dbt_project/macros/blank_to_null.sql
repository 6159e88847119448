{# Exports write a missing value as an empty string: trim it and treat '' as NULL. #}
{% macro blank_to_null(expression) -%}
    nullif(trim({{ expression }}), '')
{%- endmacro %}
