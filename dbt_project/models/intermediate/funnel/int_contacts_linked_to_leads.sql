{# Incremental on DuckDB (dbt_project.yml): a night relinks only the contacts it touched. #}
{{
    config(
        unique_key='contact_id',
        incremental_strategy='delete+insert',
    )
}}
-- depends_on: {{ ref('int_client_keys_touched') }}
{# One row per contact with the lead it is linked to. A contact recorded in the CRM carries its
   lead_id. A contact that does not (call-tracking logs, web forms), whose source and contact_type match
   a rule of config/contact_linking.csv, is linked to the earliest lead with the same hashed client key
   created within the rule's window after it (several matching rules: the longest window; tie between
   leads: the smaller lead_id). Anything else stays unlinked.
   A nightly run relinks the contacts with a new latest version and the contacts without a recorded
   lead whose client key any version of a new contact or lead carries (int_client_keys_touched): no
   other link can move, since a link by key depends only on the contact and the leads of its key. #}
with

contacts as (
    select * from {{ ref('stg_crm__contacts') }}
    {% if membrana.rebuilds_changes_only() %}
    where loaded_at > {{ loaded_after() }}
        or (lead_id is null
            and client_key_hash in (select client_key_hash from {{ ref('int_client_keys_touched') }}))
    {% endif %}
),

linkable_contacts as (
    select
        contacts.contact_id,
        contacts.client_key_hash,
        contacts.received_at,
        max(rules.link_window_days) as link_window_days
    from contacts
    inner join {{ ref('stg_config__contact_linking') }} as rules
        on (rules.source_pattern = '' or {{ channel_key('contacts.source') }} like rules.source_pattern)
        and (rules.contact_type_pattern = ''
            or {{ channel_key('contacts.contact_type') }} like rules.contact_type_pattern)
    where contacts.lead_id is null and contacts.client_key_hash is not null
    group by contacts.contact_id, contacts.client_key_hash, contacts.received_at
),

candidate_leads as (
    select
        linkable_contacts.contact_id,
        leads.lead_id,
        row_number() over (
            partition by linkable_contacts.contact_id order by leads.created_at, leads.lead_id
        ) as lead_rank
    from linkable_contacts
    inner join {{ ref('stg_crm__leads') }} as leads
        on leads.client_key_hash = linkable_contacts.client_key_hash
        and leads.created_at >= linkable_contacts.received_at
        and leads.created_at <= {{ dbt.dateadd('day', 'linkable_contacts.link_window_days', 'linkable_contacts.received_at') }}
),

inferred_links as (
    select contact_id, lead_id from candidate_leads where lead_rank = 1
),

final as (
    select
        -- ids
        contacts.contact_id,
        coalesce(contacts.lead_id, inferred_links.lead_id) as lead_id,
        contacts.client_key_hash,
        -- text
        contacts.contact_type,
        contacts.channel,
        case
            when contacts.lead_id is not null then 'recorded'
            when inferred_links.lead_id is not null then 'client_key'
        end as link_method,
        -- booleans
        linkable_contacts.contact_id is not null as is_linkable,
        -- timestamps
        contacts.received_at,
        contacts.received_date
    from contacts
    left join linkable_contacts on contacts.contact_id = linkable_contacts.contact_id
    left join inferred_links on contacts.contact_id = inferred_links.contact_id
)

select * from final
