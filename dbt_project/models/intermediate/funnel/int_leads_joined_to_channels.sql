{# Incremental on DuckDB (dbt_project.yml): a night rebuilds only the leads it touched. #}
{{
    config(
        unique_key='lead_id',
        incremental_strategy='delete+insert',
    )
}}
-- depends_on: {{ ref('int_leads_to_rebuild') }}
{# One row per lead with its channel and the timestamps of each stage it reached. The channel is
   that of the lead's earliest linked contact (tie: the smaller contact_id), else the lead's own
   source/medium/campaign; a lead that no contact links to counts as an incoming contact itself.
   A contact is linked by its lead_id, or by client key (int_contacts_linked_to_leads).
   A nightly run rebuilds the leads of int_leads_to_rebuild: every other lead kept its contacts,
   meetings and deals. #}
with

leads as (
    select * from {{ ref('stg_crm__leads') }}
    where {{ membrana.in_leads_to_rebuild() }}
),

linked_contacts as (
    select
        contacts.lead_id,
        contacts.channel,
        contacts.received_at,
        row_number() over (
            partition by contacts.lead_id order by contacts.received_at, contacts.contact_id
        ) as contact_rank,
        count(*) over (partition by contacts.lead_id) as linked_contact_count
    from {{ ref('int_contacts_linked_to_leads') }} as contacts
    where contacts.lead_id is not null and {{ membrana.in_leads_to_rebuild() }}
),

first_contacts as (
    select lead_id, channel, received_at, linked_contact_count
    from linked_contacts
    where contact_rank = 1
),

meeting_stages as (
    select
        lead_id,
        min(booked_at) as first_meeting_booked_at,
        min(case when is_held then scheduled_at end) as first_meeting_held_at,
        count(*) as meetings_booked_count
    from {{ ref('stg_crm__meetings') }}
    where {{ membrana.in_leads_to_rebuild() }}
    group by lead_id
),

deal_stages as (
    select
        lead_id,
        min(case when is_won then closed_at end) as first_deal_won_at,
        count(case when is_won then 1 end) as deals_won_count
    from {{ ref('stg_crm__deals') }}
    where lead_id is not null and {{ membrana.in_leads_to_rebuild() }}
    group by lead_id
),

final as (
    select
        -- ids
        leads.lead_id,
        leads.operator_id,
        leads.manager_id,
        leads.client_key_hash,
        -- channel
        coalesce(first_contacts.channel, leads.own_channel) as channel,
        -- booleans
        first_contacts.lead_id is null as is_contactless,
        -- numerics
        coalesce(first_contacts.linked_contact_count, 0) as linked_contact_count,
        coalesce(meeting_stages.meetings_booked_count, 0) as meetings_booked_count,
        coalesce(deal_stages.deals_won_count, 0) as deals_won_count,
        -- timestamps of each stage
        first_contacts.received_at as first_contact_at,
        leads.created_at,
        leads.created_date,
        meeting_stages.first_meeting_booked_at,
        meeting_stages.first_meeting_held_at,
        deal_stages.first_deal_won_at
    from leads
    left join first_contacts on leads.lead_id = first_contacts.lead_id
    left join meeting_stages on leads.lead_id = meeting_stages.lead_id
    left join deal_stages on leads.lead_id = deal_stages.lead_id
)

select * from final
