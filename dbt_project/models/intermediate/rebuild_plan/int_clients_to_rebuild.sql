{{ config(materialized='table') }}
{# The clients whose row in marts.clients can have changed since the last build: every client id, old or
   new, that a rebuilt lead (int_leads_to_rebuild), a touch of it or a newly loaded contact or deal can
   have had, and the clients of the deals a new exchange rate re-prices. A client id is a hashed client
   key, 'lead:' || lead_id or 'deal:' || deal_id, so the keys of every version count: the client of a
   lead is its own key, else its first recorded contact's, and either can have been corrected. Empty on
   a full build. #}
with

new_contact_ids as (
    {{ records_loaded_since_build('contact') }}
),

new_deal_ids as (
    {{ records_loaded_since_build('deal') }}
),

rebuilt_leads as (
    select lead_id from {{ ref('int_leads_to_rebuild') }}
),

client_keys as (
    select client_key from {{ ref('base_crm__leads') }}
    where lead_id in (select lead_id from rebuilt_leads)
    union
    select client_key from {{ ref('base_crm__contacts') }}
    where lead_id in (select lead_id from rebuilt_leads)
        or contact_id in (select contact_id from new_contact_ids)
    union
    select client_key from {{ ref('base_crm__deals') }}
    where deal_id in (select deal_id from new_deal_ids)
),

client_ids as (
    select {{ hash_personal_data(normalize_client_key('client_key')) }} as client_id
    from client_keys
    where client_key is not null
    union
    select 'lead:' || lead_id from rebuilt_leads
    union
    select 'deal:' || deal_id from new_deal_ids
    union
    {# a deal whose lead arrives late stops being a client of its own #}
    select 'deal:' || deal_id from {{ ref('stg_crm__deals') }}
    where lead_id in (select lead_id from rebuilt_leads)
    union
    select client_id from {{ ref('int_won_deals_joined_to_clients') }}
    where closed_date >= {{ first_day_of_new_rates() }}
)

select distinct client_id from client_ids
where client_id is not null
{%- if not env_var('MEMBRANA_LOADED_AFTER', '') %}
    and 1 = 0
{%- endif %}
