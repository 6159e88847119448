{{ config(materialized='table') }}
{# The CRM records with a version loaded after the last passed build: where every rebuild plan starts
   (records_loaded_since_build), so a night scans the history for them once. Empty on a full build,
   which rebuilds every row. #}
{% set entities = [
    ('contact', 'base_crm__contacts'),
    ('lead', 'base_crm__leads'),
    ('meeting', 'base_crm__meetings'),
    ('deal', 'base_crm__deals'),
] %}
{% for entity, base_model in entities %}
select distinct '{{ entity }}' as entity, {{ entity }}_id as record_id
from {{ ref(base_model) }}
where loaded_at > {{ loaded_after() }} and {{ entity }}_id is not null
    {%- if not env_var('MEMBRANA_LOADED_AFTER', '') %} and 1 = 0{% endif %}
{% if not loop.last %}union all{% endif %}
{% endfor %}
