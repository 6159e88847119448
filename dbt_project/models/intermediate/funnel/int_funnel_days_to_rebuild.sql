{# A table: funnel_daily reads it twice (its pre-hook and its filter), and each read scans the raw history. #}
{{ config(materialized='table') }}
{# The days whose funnel figures can have changed since the last build: every day that any version
   of a record loaded after MEMBRANA_LOADED_AFTER (set by the orchestrator) refers to, and every day
   of the leads it touches (a new contact can change its lead's channel; a meeting or deal moves with
   its lead). A new exchange rate
   changes every day from its own on. Only used by incremental runs of funnel_daily; the orchestrator
   runs a full refresh when config changed or a loaded file was replaced. #}
{#- An environment variable, not a dbt var: a var that changes every night makes dbt re-parse the whole
    project, a changed environment variable only the files that read it. #}
{%- set loaded_after = "cast('" ~ (env_var('MEMBRANA_LOADED_AFTER', '') or '1900-01-01') ~ "' as "
    ~ dbt.type_timestamp() ~ ")" %}
with

contact_versions as (select * from {{ ref('base_crm__contacts') }}),
lead_versions as (select * from {{ ref('base_crm__leads') }}),
meeting_versions as (select * from {{ ref('base_crm__meetings') }}),
deal_versions as (select * from {{ ref('base_crm__deals') }}),

changed_contact_ids as (
    select distinct contact_id from contact_versions where loaded_at > {{ loaded_after }}
),

changed_meeting_ids as (
    select distinct meeting_id from meeting_versions where loaded_at > {{ loaded_after }}
),

changed_deal_ids as (
    select distinct deal_id from deal_versions where loaded_at > {{ loaded_after }}
),

{# With contact linking on, a new contact or lead can move a link by client key from one lead to
   another: every lead of a client key that a new contact or lead carries is touched. #}
touched_client_keys as (
    select client_key_hash from {{ ref('stg_crm__contacts') }}
    where contact_id in (select contact_id from changed_contact_ids)
    union
    select client_key_hash from {{ ref('stg_crm__leads') }}
    where lead_id in (select lead_id from lead_versions where loaded_at > {{ loaded_after }})
),

touched_lead_ids as (
    select lead_id from lead_versions where loaded_at > {{ loaded_after }}
    union
    select lead_id from {{ ref('stg_crm__leads') }}
    where client_key_hash in (select client_key_hash from touched_client_keys)
        and exists (select 1 from {{ ref('stg_config__contact_linking') }})
    union
    select lead_id from contact_versions where contact_id in (select contact_id from changed_contact_ids)
    union
    select lead_id from {{ ref('int_contacts_linked_to_leads') }}
    where contact_id in (select contact_id from changed_contact_ids)
    union
    select lead_id from meeting_versions where meeting_id in (select meeting_id from changed_meeting_ids)
    union
    select lead_id from deal_versions where deal_id in (select deal_id from changed_deal_ids)
),

touched_days as (
    select cast(received_at as date) as date_day from contact_versions
    where contact_id in (select contact_id from changed_contact_ids)
        or lead_id in (select lead_id from touched_lead_ids)
    union
    select cast(created_at as date) from lead_versions
    where lead_id in (select lead_id from touched_lead_ids)
    union
    select cast(booked_at as date) from meeting_versions
    where meeting_id in (select meeting_id from changed_meeting_ids)
        or lead_id in (select lead_id from touched_lead_ids)
    union
    select cast(scheduled_at as date) from meeting_versions
    where meeting_id in (select meeting_id from changed_meeting_ids)
        or lead_id in (select lead_id from touched_lead_ids)
    union
    select cast(closed_at as date) from deal_versions
    where deal_id in (select deal_id from changed_deal_ids)
        or lead_id in (select lead_id from touched_lead_ids)
    union
    select spend_date from {{ ref('base_marketing__ad_spend') }} where loaded_at > {{ loaded_after }}
    union
    select date_day from {{ ref('int_costs_spread_by_day') }} as cost_days
    where exists (
        select 1 from {{ ref('base_marketing__costs') }} as costs
        where costs.loaded_at > {{ loaded_after }}
            and costs.source_file = cost_days.source_file and costs.source_line = cost_days.source_line
    )
    union
    select calendar.date_day from {{ ref('int_calendar_days') }} as calendar
    where calendar.date_day >= (
        select min(rate_date) from {{ ref('base_marketing__fx_rates') }} where loaded_at > {{ loaded_after }}
    )
)

select date_day from touched_days where date_day is not null
{%- if not env_var('MEMBRANA_LOADED_AFTER', '') %}
    and 1 = 0  {#- a full build rebuilds every day: no need to scan the history for them #}
{%- endif %}
