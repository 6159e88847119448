{# A table: funnel_daily reads it twice (its pre-hook and its filter). #}
{{ config(materialized='table') }}
{# The days whose funnel figures can have changed since the last build (MEMBRANA_LOADED_AFTER, set by
   the orchestrator): every day that any version, old or new, of a record loaded after it refers to
   (a corrected date leaves its old day), and every day of the leads it touches (int_leads_to_rebuild:
   a lead's channel moves its meetings and deals; a contact counts in its own channel, so only a
   changed contact moves its day). A new exchange rate changes every day from its own on. Only used
   by incremental runs of funnel_daily; the orchestrator runs a full refresh when config changed or a
   loaded file was replaced. The history is read through a semi-join on the few changed ids, and the
   rebuilt leads' records through their current (staged) rows. #}
with

new_contact_ids as (
    {{ records_loaded_since_build('contact') }}
),

new_meeting_ids as (
    {{ records_loaded_since_build('meeting') }}
),

new_deal_ids as (
    {{ records_loaded_since_build('deal') }}
),

rebuilt_leads as (
    select lead_id from {{ ref('int_leads_to_rebuild') }}
),

touched_days as (
    select cast(received_at as date) as date_day from {{ ref('base_crm__contacts') }}
    where contact_id in (select contact_id from new_contact_ids)
    union
    select cast(created_at as date) from {{ ref('base_crm__leads') }}
    where lead_id in (select lead_id from rebuilt_leads)
    union
    select cast(booked_at as date) from {{ ref('base_crm__meetings') }}
    where meeting_id in (select meeting_id from new_meeting_ids)
    union
    select cast(scheduled_at as date) from {{ ref('base_crm__meetings') }}
    where meeting_id in (select meeting_id from new_meeting_ids)
    union
    select booked_date from {{ ref('stg_crm__meetings') }}
    where lead_id in (select lead_id from rebuilt_leads)
    union
    select scheduled_date from {{ ref('stg_crm__meetings') }}
    where lead_id in (select lead_id from rebuilt_leads)
    union
    select cast(closed_at as date) from {{ ref('base_crm__deals') }}
    where deal_id in (select deal_id from new_deal_ids)
    union
    select closed_date from {{ ref('stg_crm__deals') }}
    where lead_id in (select lead_id from rebuilt_leads)
    union
    select spend_date from {{ ref('base_marketing__ad_spend') }} where loaded_at > {{ loaded_after() }}
    union
    select date_day from {{ ref('int_costs_spread_by_day') }} as cost_days
    where exists (
        select 1 from {{ ref('base_marketing__costs') }} as costs
        where costs.loaded_at > {{ loaded_after() }}
            and costs.source_file = cost_days.source_file and costs.source_line = cost_days.source_line
    )
    union
    select calendar.date_day from {{ ref('int_calendar_days') }} as calendar
    where calendar.date_day >= {{ first_day_of_new_rates() }}
)

select date_day from touched_days where date_day is not null
{%- if not env_var('MEMBRANA_LOADED_AFTER', '') %}
    and 1 = 0  {#- a full build rebuilds every day: no need to scan the history for them #}
{%- endif %}
