{# A client key is a phone or an e-mail. E-mails compare lowercased and trimmed; phones compare
   by their digits with a leading '+', and a Russian trunk prefix 8 becomes +7, so
   '8 (916) 123-45-67' and '+7 916 1234567' are the same client. #}
{% macro normalize_client_key(expression) -%}
    case
        when {{ expression }} like '%@%' then lower(trim({{ expression }}))
        when length({{ membrana.digits_only(expression) }}) = 11
            and {{ membrana.digits_only(expression) }} like '8%'
            then '+7' || substr({{ membrana.digits_only(expression) }}, 2)
        when length({{ membrana.digits_only(expression) }}) >= 7
            then '+' || {{ membrana.digits_only(expression) }}
        else nullif(lower(trim({{ expression }})), '')
    end
{%- endmacro %}

{% macro digits_only(expression) -%}
    {{ return(adapter.dispatch('digits_only', 'membrana')(expression)) }}
{%- endmacro %}

{# Spark replaces every match; Postgres replaces only the first unless given the 'g' flag. #}
{% macro default__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]', '')
{%- endmacro %}

{% macro postgres__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]', '', 'g')
{%- endmacro %}

{% macro duckdb__digits_only(expression) -%}
    regexp_replace({{ expression }}, '[^0-9]', '', 'g')
{%- endmacro %}
