{{ config(materialized='table') }}
{# The clients whose row in marts.clients can have changed since the last build: every client id, old or
   new, that a rebuilt lead (int_leads_to_rebuild), a touch of it or a newly loaded contact or deal can
   have had, and the clients of the deals a new exchange rate re-prices. A client id is a hashed client
   key, 'lead:' || lead_id or 'deal:' || deal_id, so the keys of every version count: the client of a
   lead is its own key, else its first recorded contact's, and either can have been corrected. Empty on
   a full build. #}
with

changed_versions as (
    select * from {{ ref('int_changed_record_versions') }}
),

rebuilt_leads as (
    select lead_id from {{ ref('int_leads_to_rebuild') }}
),

{# the keys of rebuilt leads and of their contacts (every version: a corrected key leaves its old client) #}
client_keys as (
    select client_key from {{ ref('base_crm__leads') }}
    where lead_id in (select lead_id from rebuilt_leads)
    union
    select client_key from {{ ref('base_crm__contacts') }}
    where lead_id in (select lead_id from rebuilt_leads)
),

client_ids as (
    select {{ hash_personal_data(normalize_client_key('client_key')) }} as client_id
    from client_keys
    where client_key is not null
    union
    select client_key_hash from changed_versions where entity in ('contact', 'deal')
    union
    select 'lead:' || lead_id from rebuilt_leads
    union
    select 'deal:' || record_id from changed_versions where entity = 'deal'
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
{%- if not membrana.build_watermark() %}
    and 1 = 0
{%- endif %}
