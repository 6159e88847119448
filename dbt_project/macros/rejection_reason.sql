{# The first broken rule of a raw row, as the sentence stored in audit.quarantine, or NULL when the
   row is usable. `checks` is a list of (condition, reason) pairs, tried in order. #}
{% macro rejection_reason(checks) -%}
    case
    {%- for condition, reason in checks %}
        when {{ condition }} then '{{ reason }}'
    {%- endfor %}
    end
{%- endmacro %}
