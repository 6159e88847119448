{# A table: funnel_daily reads it twice (its pre-hook and its filter). #}
{{ config(materialized='table') }}
{# The days whose funnel figures can have changed since the last build (MEMBRANA_LOADED_AFTER, set by
   the orchestrator): every day that any version, old or new, of a record loaded after it refers to
   (a corrected date leaves its old day), and every day of the leads it touches (int_leads_to_rebuild:
   a lead's channel moves its meetings and deals; a contact counts in its own channel, so only a
   changed contact moves its day). A new exchange rate changes every day from its own on. Only used
   by incremental runs of funnel_daily; the orchestrator runs a full refresh when config changed or a
   loaded file was replaced. The changed records' versions come from int_changed_record_versions, the
   rebuilt leads' records through their current (staged) rows. #}
with

rebuilt_leads as (
    select lead_id from {{ ref('int_leads_to_rebuild') }}
),

touched_days as (
    select event_date as date_day from {{ ref('int_changed_record_versions') }}
    union
    select cast(created_at as date) from {{ ref('base_crm__leads') }}
    where lead_id in (select lead_id from rebuilt_leads)
    union
    select booked_date from {{ ref('stg_crm__meetings') }}
    where lead_id in (select lead_id from rebuilt_leads)
    union
    select scheduled_date from {{ ref('stg_crm__meetings') }}
    where lead_id in (select lead_id from rebuilt_leads)
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
{%- if not membrana.build_watermark() %}
    and 1 = 0  {#- a full build rebuilds every day: no need to scan the history for them #}
{%- endif %}
