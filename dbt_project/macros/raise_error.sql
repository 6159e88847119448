{# Fails the statement with `message_sql` (a text expression) for the rows where it is evaluated,
   e.g. inside a CASE branch: for configuration errors that no row-level quarantine can absorb. #}
{% macro raise_error(message_sql) -%}
    {{ return(adapter.dispatch('raise_error', 'membrana')(message_sql)) }}
{%- endmacro %}

{# Postgres has no error function: casting the message to an integer fails with the message in it. #}
{% macro default__raise_error(message_sql) -%}
    cast({{ message_sql }} as integer)
{%- endmacro %}

{% macro duckdb__raise_error(message_sql) -%}
    error({{ message_sql }})
{%- endmacro %}

{% macro spark__raise_error(message_sql) -%}
    raise_error({{ message_sql }})
{%- endmacro %}
