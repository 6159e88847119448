{# Personal data (phones, e-mails) never leaves staging in clear: a SHA-256 hex digest of the
   normalised value stands in for it, so the same client still matches across sources. #}
{% macro hash_personal_data(expression) -%}
    {{ return(adapter.dispatch('hash_personal_data', 'membrana')(expression)) }}
{%- endmacro %}

{% macro default__hash_personal_data(expression) -%}
    sha2({{ expression }}, 256)
{%- endmacro %}

{% macro duckdb__hash_personal_data(expression) -%}
    sha256({{ expression }})
{%- endmacro %}
