{# A client key is a phone or an e-mail. E-mails compare lowercased and trimmed; phones compare
   by their digits with a leading '+', and a Russian trunk prefix 8 becomes +7, so
   '8 (916) 123-45-67' and '+7 916 1234567' are the same client. `digits` is a column holding
   client_key_digits(expression), computed once in an earlier step: a regular expression per row is
   the dearest part of staging, and the rules below read the digits four times. Without it the
   digits are computed inline (for a few rows only, e.g. quarantined ones). #}
{% macro normalize_client_key(expression, digits=none) -%}
    {%- set digits = digits or membrana.client_key_digits(expression) -%}
    case
        when {{ expression }} like '%@%' then lower(trim({{ expression }}))
        when length({{ digits }}) = 11 and {{ digits }} like '8%'
            then '+7' || substr({{ digits }}, 2)
        when length({{ digits }}) >= 7
            then '+' || {{ digits }}
        else nullif(lower(trim({{ expression }})), '')
    end
{%- endmacro %}

{# The digits of a client key that is not an e-mail (an e-mail's digits are never used). #}
{% macro client_key_digits(expression) -%}
    case when {{ expression }} not like '%@%' then {{ membrana.digits_only(expression) }} end
{%- endmacro %}

{% macro digits_only(expression) -%}
    {{ return(adapter.dispatch('digits_only', 'membrana')(expression)) }}
{%- endmacro %}

{# Runs of non-digits are removed at once ('[^0-9]+'): half the work of one character at a time.
   Spark replaces every match; Postgres replaces only the first unless given the 'g' flag. #}
{% macro default__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]+', '')
{%- endmacro %}

{% macro postgres__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]+', '', 'g')
{%- endmacro %}

{% macro duckdb__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]+', '', 'g')
{%- endmacro %}
