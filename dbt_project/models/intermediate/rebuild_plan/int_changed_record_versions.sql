{{ config(materialized='table') }}
{# Every version, old and new, of each CRM record with a version loaded after the last passed build, with
   what the rebuild plan needs of it: its lead, its hashed client key and the day it refers to (a meeting
   two rows: booked and scheduled). Old versions count: a corrected lead_id, key or date leaves its old
   lead, client or day to rebuild too. One pass over each base_crm__* table a night, which the plan's
   models share. Empty on a full build, which rebuilds every row. #}
{% set entities = [
    ('contact', 'base_crm__contacts', 'client_key', ['received_at']),
    ('lead', 'base_crm__leads', 'client_key', ['created_at']),
    ('meeting', 'base_crm__meetings', none, ['booked_at', 'scheduled_at']),
    ('deal', 'base_crm__deals', 'client_key', ['closed_at']),
] %}
with

{% for entity, base_model, client_key, days in entities %}
{{ entity }}_versions as (
    select * from {{ ref(base_model) }}
    where {{ entity }}_id in (
        select {{ entity }}_id from {{ ref(base_model) }} where loaded_at > {{ loaded_after() }}
    )
    {%- if not membrana.build_watermark() %}
        and 1 = 0
    {%- endif %}
),

{% endfor %}
versions as (
    {% for entity, base_model, client_key, days in entities %}
    {% set outer_loop = loop %}
    {% for day in days %}
    select
        '{{ entity }}' as entity,
        {{ entity }}_id as record_id,
        lead_id,
        {% if client_key -%}
        case when {{ client_key }} is not null
            then {{ hash_personal_data(normalize_client_key(client_key)) }} end as client_key_hash,
        {%- else -%}
        cast(null as {{ dbt.type_string() }}) as client_key_hash,
        {%- endif %}
        cast({{ day }} as date) as event_date
    from {{ entity }}_versions
    {% if not (outer_loop.last and loop.last) %}union all{% endif %}
    {% endfor %}
    {% endfor %}
)

select * from versions
