{# True when a (trimmed, uppercased) currency is shaped like an ISO 4217 code: three letters A-Z.
   translate() deletes the letters on every engine, so no regex dialect is needed. #}
{% macro is_currency_code(expression) -%}
    (length({{ expression }}) = 3 and translate({{ expression }}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', '') = '')
{%- endmacro %}
