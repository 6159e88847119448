{# Not a view: several marts and their tests read it, and as a view each read recomputed its joins
   over every contact and lead. Incremental on DuckDB (dbt_project.yml): a night rebuilds only the leads it touched
   (int_leads_to_rebuild: a lead's client follows its own key and its contacts'). #}
{{
    config(
        unique_key='lead_id',
        incremental_strategy='delete+insert',
    )
}}
-- depends_on: {{ ref('int_leads_to_rebuild') }}
{# One row per lead with the client it belongs to. The client is the hashed client_key of the lead,
   else that of its earliest linked contact that has one; a lead with no key anywhere is a client
   of its own ('lead:' || lead_id), so that it is never merged with another anonymous lead. #}
with

leads as (
    select lead_id, client_key_hash, channel, created_at, is_contactless
    from {{ ref('int_leads_joined_to_channels') }}
    where {{ membrana.in_leads_to_rebuild() }}
),

keyed_contacts as (
    select
        lead_id,
        client_key_hash,
        row_number() over (partition by lead_id order by received_at, contact_id) as key_rank
    from {{ ref('stg_crm__contacts') }}
    where lead_id is not null and client_key_hash is not null and {{ membrana.in_leads_to_rebuild() }}
),

final as (
    select
        leads.lead_id,
        coalesce(leads.client_key_hash, keyed_contacts.client_key_hash, 'lead:' || leads.lead_id)
            as client_id,
        leads.channel,
        leads.created_at,
        leads.is_contactless
    from leads
    left join keyed_contacts
        on leads.lead_id = keyed_contacts.lead_id and keyed_contacts.key_rank = 1
)

select * from final
