{# A ratio whose denominator is 0 (or NULL) is NULL, never 0 and never an error (CONTRACT.md). #}
{% macro safe_divide(numerator, denominator) -%}
    cast({{ numerator }} as {{ membrana.type_double() }}) / nullif(cast({{ denominator }} as {{ membrana.type_double() }}), 0)
{%- endmacro %}
