{# The raw row as one readable text (`column=value; …`), kept in quarantine so nothing is lost.
   A client key is personal data: it is kept only as the hash staging gives it (hash_personal_data).
   `prefix` names the raw columns when they are carried under other names (raw_columns). #}
{% macro raw_record(columns, prefix='') -%}
    {%- for column in columns -%}
        {%- if column == 'client_key' -%}
        'client_key=' || coalesce({{ hash_personal_data(normalize_client_key(prefix ~ 'client_key')) }}, '')
        {%- else -%}
        '{{ column }}=' || coalesce({{ prefix ~ column }}, '')
        {%- endif -%}
        {%- if not loop.last %} || '; ' || {% endif -%}
    {%- endfor -%}
{%- endmacro %}

{# The raw text columns of `relation`, carried as raw_<column> next to the typed ones, so that
   raw_record can be built later, for the few rows that need it. #}
{% macro raw_columns(relation, columns) -%}
    {%- for column in columns -%}
        {{ relation }}.{{ column }} as raw_{{ column }}{% if not loop.last %},{% endif %}
    {% endfor -%}
{%- endmacro %}

{# The columns of a raw export (`raw` source table `entity`), in the contract's order: the text of
   raw_record. Declared once, on the raw source in models/staging/_sources.yml, and read from the graph,
   which dbt fills when models compile and run; at parse time nothing is rendered into SQL, so the list
   is empty then. #}
{% macro raw_export_columns(entity) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {{ return(graph.sources['source.' ~ project_name ~ '.raw.' ~ entity].columns.keys() | list) }}
{%- endmacro %}
