{# A table: several marts and their tests read it, and as a view each read recomputed its joins over every contact and lead. #}
{{ config(materialized='table') }}
{# One row per incoming contact (ПО) that can be tied to a client: a contact with a client_key, or
   one linked to a lead (it belongs to the lead's client); plus every lead no contact links to, which
   counts as an incoming contact itself (CONTRACT.md). An anonymous contact never recorded in the CRM
   belongs to nobody and is left out. These are the touches attribution gives credit to. #}
with

leads as (
    select * from {{ ref('int_leads_joined_to_clients') }}
),

contact_touches as (
    select
        'contact:' || contacts.contact_id as touch_id,
        coalesce(contacts.client_key_hash, leads.client_id) as client_id,
        contacts.channel,
        contacts.received_at as touched_at
    from {{ ref('stg_crm__contacts') }} as contacts
    left join leads on contacts.lead_id = leads.lead_id
    where coalesce(contacts.client_key_hash, leads.client_id) is not null
),

contactless_lead_touches as (
    select
        'lead:' || lead_id as touch_id,
        client_id,
        channel,
        created_at as touched_at
    from leads
    where is_contactless
),

final as (
    select * from contact_touches
    union all
    select * from contactless_lead_touches
)

select * from final
