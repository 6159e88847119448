{# The raw row as one readable text (`column=value; …`), kept in quarantine so nothing is lost.
   A client key is personal data: it is kept only as the hash staging gives it (hash_personal_data). #}
{% macro raw_record(columns) -%}
    {%- for column in columns -%}
        {%- if column == 'client_key' -%}
        'client_key=' || coalesce({{ hash_personal_data(normalize_client_key('client_key')) }}, '')
        {%- else -%}
        '{{ column }}=' || coalesce({{ column }}, '')
        {%- endif -%}
        {%- if not loop.last %} || '; ' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}
