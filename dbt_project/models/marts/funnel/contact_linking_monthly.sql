{# One row per month and channel: how many incoming contacts reached the CRM, by their own lead id
   or by client key, and how many stayed unlinked, next to the leads that no contact links to. The
   gap behind the fixation rate (КФ): contacts that never became leads, and leads whose contact is
   missing. #}
with

contacts as (
    select
        cast({{ dbt.date_trunc('month', 'received_date') }} as date) as month,
        channel,
        link_method
    from {{ ref('int_contacts_linked_to_leads') }}
),

contact_counts as (
    select
        month,
        channel,
        count(*) as incoming_contacts,
        sum(case when link_method = 'recorded' then 1 else 0 end) as contacts_with_lead_id,
        sum(case when link_method = 'client_key' then 1 else 0 end) as contacts_linked_by_client_key,
        sum(case when link_method is null then 1 else 0 end) as contacts_unlinked
    from contacts
    group by month, channel
),

contactless_leads as (
    select
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month,
        channel,
        count(*) as leads_without_contact
    from {{ ref('int_leads_joined_to_channels') }}
    where is_contactless
    group by 1, 2
),

months_and_channels as (
    select month, channel from contact_counts
    union
    select month, channel from contactless_leads
),

final as (
    select
        keys.month,
        keys.channel,
        cast(coalesce(contact_counts.incoming_contacts, 0) as {{ dbt.type_bigint() }}) as incoming_contacts,
        cast(coalesce(contact_counts.contacts_with_lead_id, 0) as {{ dbt.type_bigint() }}) as contacts_with_lead_id,
        cast(coalesce(contact_counts.contacts_linked_by_client_key, 0) as {{ dbt.type_bigint() }})
            as contacts_linked_by_client_key,
        cast(coalesce(contact_counts.contacts_unlinked, 0) as {{ dbt.type_bigint() }}) as contacts_unlinked,
        {{ safe_divide('contact_counts.contacts_unlinked', 'contact_counts.incoming_contacts') }} as unlinked_share,
        cast(coalesce(contactless_leads.leads_without_contact, 0) as {{ dbt.type_bigint() }}) as leads_without_contact
    from months_and_channels as keys
    left join contact_counts on keys.month = contact_counts.month and keys.channel = contact_counts.channel
    left join contactless_leads on keys.month = contactless_leads.month and keys.channel = contactless_leads.channel
)

select * from final
