{# Not a view: several marts and their tests read it, and as a view each read recomputed its joins
   over every contact and lead. Incremental on DuckDB (dbt_project.yml): a night rebuilds the touches of the contacts
   with a new latest version or recorded on a rebuilt lead (their client follows the lead's), and of
   the rebuilt leads (int_leads_to_rebuild). The pre-hook empties those touches first, since a touch
   can vanish (a lead that gets a contact is no longer a touch itself). #}
{{
    config(
        incremental_strategy='append',
        pre_hook="{% set touches_to_rebuild %}
                select 'contact:' || contact_id from {{ ref('stg_crm__contacts') }}
                where loaded_at > {{ membrana.loaded_after() }} or {{ membrana.in_leads_to_rebuild() }}
                union all
                select 'lead:' || lead_id from {{ ref('int_leads_to_rebuild') }}
            {% endset %}
            {{ membrana.empty_rows_to_rebuild(this, 'touch_id', touches_to_rebuild) }}",
    )
}}
-- depends_on: {{ ref('int_leads_to_rebuild') }}
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
    {% if membrana.rebuilds_changes_only() %}
        and (contacts.loaded_at > {{ loaded_after() }} or {{ membrana.in_leads_to_rebuild('contacts.lead_id') }})
    {% endif %}
),

contactless_lead_touches as (
    select
        'lead:' || lead_id as touch_id,
        client_id,
        channel,
        created_at as touched_at
    from leads
    where is_contactless and {{ membrana.in_leads_to_rebuild() }}
),

final as (
    select * from contact_touches
    union all
    select * from contactless_lead_touches
)

select * from final
