{# Every funnel event and every rouble of cost as one row on the day it happened and its channel:
   the long form that funnel_daily sums. Each measure is 0 on the rows of other events. #}
with

leads as (
    select lead_id, channel, is_contactless, created_date from {{ ref('int_leads_joined_to_channels') }}
),

contact_events as (
    select received_date as event_date, channel, 1 as incoming_contacts, 0 as fixed_leads,
        0 as meetings_booked, 0 as meetings_held, 0 as no_shows, 0 as deals_won, 0 as deals_without_lead,
        cast(0 as {{ dbt.type_numeric() }}) as revenue,
        cast(0 as {{ dbt.type_numeric() }}) as revenue_without_lead,
        cast(0 as {{ dbt.type_numeric() }}) as ad_spend,
        cast(0 as {{ dbt.type_numeric() }}) as other_costs
    from {{ ref('stg_crm__contacts') }}
),

lead_events as (
    select created_date as event_date, channel,
        case when is_contactless then 1 else 0 end as incoming_contacts, 1 as fixed_leads,
        0 as meetings_booked, 0 as meetings_held, 0 as no_shows, 0 as deals_won, 0 as deals_without_lead,
        0 as revenue, 0 as revenue_without_lead, 0 as ad_spend, 0 as other_costs
    from leads
),

meetings as (
    select meetings.*, coalesce(leads.channel, 'unknown') as channel
    from {{ ref('stg_crm__meetings') }} as meetings
    left join leads on meetings.lead_id = leads.lead_id
),

booking_events as (
    select booked_date as event_date, channel, 0 as incoming_contacts, 0 as fixed_leads,
        1 as meetings_booked, 0 as meetings_held, 0 as no_shows, 0 as deals_won, 0 as deals_without_lead,
        0 as revenue, 0 as revenue_without_lead, 0 as ad_spend, 0 as other_costs
    from meetings
),

outcome_events as (
    select scheduled_date as event_date, channel, 0 as incoming_contacts, 0 as fixed_leads,
        0 as meetings_booked,
        case when is_held then 1 else 0 end as meetings_held,
        case when is_no_show then 1 else 0 end as no_shows,
        0 as deals_won, 0 as deals_without_lead,
        0 as revenue, 0 as revenue_without_lead, 0 as ad_spend, 0 as other_costs
    from meetings
    where is_held or is_no_show
),

deal_events as (
    select deals.closed_date as event_date, coalesce(leads.channel, 'unknown') as channel,
        0 as incoming_contacts, 0 as fixed_leads, 0 as meetings_booked, 0 as meetings_held,
        0 as no_shows, 1 as deals_won,
        {# untraced: no lead, or a lead id that names no lead; such a deal had no meeting to pass #}
        case when leads.lead_id is null then 1 else 0 end as deals_without_lead,
        cast(deals.amount_base as {{ dbt.type_numeric() }}) as revenue,
        cast(case when leads.lead_id is null then deals.amount_base else 0 end as {{ dbt.type_numeric() }})
            as revenue_without_lead,
        0 as ad_spend, 0 as other_costs
    from {{ ref('int_deals_converted_to_base') }} as deals
    left join leads on deals.lead_id = leads.lead_id
    where deals.is_won and not deals.is_missing_rate
),

spend_events as (
    select spend_date as event_date, channel, 0 as incoming_contacts, 0 as fixed_leads,
        0 as meetings_booked, 0 as meetings_held, 0 as no_shows, 0 as deals_won, 0 as deals_without_lead,
        0 as revenue, 0 as revenue_without_lead,
        cast(cost_base as {{ dbt.type_numeric() }}) as ad_spend, 0 as other_costs
    from {{ ref('int_ad_spend_converted_to_base') }}
    where not is_missing_rate
),

cost_events as (
    select date_day as event_date, channel, 0 as incoming_contacts, 0 as fixed_leads,
        0 as meetings_booked, 0 as meetings_held, 0 as no_shows, 0 as deals_won, 0 as deals_without_lead,
        0 as revenue, 0 as revenue_without_lead, 0 as ad_spend,
        cast(cost_base as {{ dbt.type_numeric() }}) as other_costs
    from {{ ref('int_costs_spread_by_day') }}
    where not is_quarantined
),

unioned as (
    select * from contact_events
    union all select * from lead_events
    union all select * from booking_events
    union all select * from outcome_events
    union all select * from deal_events
    union all select * from spend_events
    union all select * from cost_events
)

select * from unioned
