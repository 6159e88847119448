{{ config(materialized='table') }}
{# The hashed client keys of every version, old and new, of each contact and lead that got a version
   loaded after the last build (int_changed_record_versions): a contact without a recorded lead is
   linked by client key (config/contact_linking.csv), so only the links of these keys can move. Empty
   without linking rules, and on a full build (it rebuilds every link). Old versions count: a corrected
   key leaves the leads and contacts of the old key. #}
with

linking_rules as (
    select 1 as has_rules from {{ ref('stg_config__contact_linking') }} limit 1
)

select distinct client_key_hash from {{ ref('int_changed_record_versions') }}
where entity in ('contact', 'lead')
    and client_key_hash is not null
    and exists (select 1 from linking_rules)
