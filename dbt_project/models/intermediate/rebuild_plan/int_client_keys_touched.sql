{{ config(materialized='table') }}
{# The hashed client keys of every version, old and new, of each contact and lead that got a version
   loaded after the last build: a contact without a recorded lead is linked by client key
   (config/contact_linking.csv), so only the links of these keys can move. Empty without linking
   rules, and on a full build (it rebuilds every link). Old versions count: a corrected key leaves
   the leads and contacts of the old key. #}
with

{# without linking rules nothing is hashed: on a big night the versions are many #}
linking_rules as (
    select 1 as has_rules from {{ ref('stg_config__contact_linking') }} limit 1
),

client_keys as (
    select client_key from {{ ref('base_crm__contacts') }}
    where contact_id in ({{ records_loaded_since_build('contact') }}) and exists (select 1 from linking_rules)
    union
    select client_key from {{ ref('base_crm__leads') }}
    where lead_id in ({{ records_loaded_since_build('lead') }}) and exists (select 1 from linking_rules)
),

hashed as (
    select distinct {{ hash_personal_data(normalize_client_key('client_key')) }} as client_key_hash
    from client_keys
    where client_key is not null
)

select client_key_hash from hashed
where client_key_hash is not null
{%- if not env_var('MEMBRANA_LOADED_AFTER', '') %}
    and 1 = 0
{%- endif %}
