{# The raw row as one readable text (`column=value; …`), kept in quarantine so nothing is lost. #}
{% macro raw_record(columns) -%}
    {%- for column in columns -%}
        '{{ column }}=' || coalesce({{ column }}, '')
        {%- if not loop.last %} || '; ' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}
