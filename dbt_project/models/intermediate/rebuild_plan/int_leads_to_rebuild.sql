{{ config(materialized='table') }}
{# The leads whose row in the lead-level models can have changed since the last build: a lead is
   rebuilt from itself, its linked contacts, its meetings and its deals, so these are the leads that
   any version, old or new, of a record loaded after the last build refers to
   (int_changed_record_versions: a corrected lead_id leaves the old lead too), and every lead of a
   touched client key (int_client_keys_touched: a contact linked by client key can move from one lead
   to another). Empty on a full build. #}
with

touched_leads as (
    select lead_id from {{ ref('int_changed_record_versions') }}
    union
    select lead_id from {{ ref('stg_crm__leads') }}
    where client_key_hash in (select client_key_hash from {{ ref('int_client_keys_touched') }})
)

select lead_id from touched_leads
where lead_id is not null
{%- if not membrana.build_watermark() %}
    and 1 = 0
{%- endif %}
