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

{# The columns of each CRM export, in the contract's order: the text of raw_record. #}
{% macro crm_export_columns(entity) -%}
    {{ return({
        'contacts': ['contact_id', 'received_at', 'contact_type', 'source', 'medium', 'campaign',
                     'client_key', 'lead_id', 'updated_at'],
        'leads': ['lead_id', 'created_at', 'client_key', 'source', 'medium', 'campaign', 'status',
                  'operator_id', 'manager_id', 'updated_at'],
        'meetings': ['lead_id', 'meeting_id', 'booked_at', 'scheduled_at', 'status', 'manager_id',
                     'updated_at'],
        'deals': ['deal_id', 'lead_id', 'client_key', 'created_at', 'closed_at', 'status', 'amount',
                  'currency', 'updated_at'],
    }[entity]) }}
{%- endmacro %}
