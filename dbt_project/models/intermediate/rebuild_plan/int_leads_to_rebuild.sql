{{ config(materialized='table') }}
{# The leads whose row in the lead-level models can have changed since the last build: a lead is
   rebuilt from itself, its linked contacts, its meetings and its deals, so these are the leads that
   any version, old or new, of a record loaded after the last build refers to (a corrected lead_id
   leaves the old lead too), and every lead of a touched client key (int_client_keys_touched: a
   contact linked by client key can move from one lead to another). Empty on a full build. #}
with

new_contact_ids as (
    {{ records_loaded_since_build('contact') }}
),

new_meeting_ids as (
    {{ records_loaded_since_build('meeting') }}
),

new_deal_ids as (
    {{ records_loaded_since_build('deal') }}
),

touched_leads as (
    {{ records_loaded_since_build('lead') }}
    union
    select lead_id from {{ ref('base_crm__contacts') }}
    where contact_id in (select contact_id from new_contact_ids)
    union
    select lead_id from {{ ref('base_crm__meetings') }}
    where meeting_id in (select meeting_id from new_meeting_ids)
    union
    select lead_id from {{ ref('base_crm__deals') }}
    where deal_id in (select deal_id from new_deal_ids)
    union
    select lead_id from {{ ref('stg_crm__leads') }}
    where client_key_hash in (select client_key_hash from {{ ref('int_client_keys_touched') }})
)

select lead_id from touched_leads
where lead_id is not null
{%- if not env_var('MEMBRANA_LOADED_AFTER', '') %}
    and 1 = 0
{%- endif %}
