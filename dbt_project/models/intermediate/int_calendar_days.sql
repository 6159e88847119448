{{ config(materialized='table') }}
{# Every day from the earliest to the latest day any staged record refers to. #}
with

bounds as (
    select min(day_value) as first_day, max(day_value) as last_day
    from (
        select min(received_date) as day_value from {{ ref('stg_crm__contacts') }}
        union all select max(received_date) from {{ ref('stg_crm__contacts') }}
        union all select min(created_date) from {{ ref('stg_crm__leads') }}
        union all select max(created_date) from {{ ref('stg_crm__leads') }}
        union all select min(booked_date) from {{ ref('stg_crm__meetings') }}
        union all select max(scheduled_date) from {{ ref('stg_crm__meetings') }}
        union all select max(booked_date) from {{ ref('stg_crm__meetings') }}
        union all select min(scheduled_date) from {{ ref('stg_crm__meetings') }}
        union all select min(closed_date) from {{ ref('stg_crm__deals') }}
        union all select max(closed_date) from {{ ref('stg_crm__deals') }}
        union all select min(spend_date) from {{ ref('stg_marketing__ad_spend') }}
        union all select max(spend_date) from {{ ref('stg_marketing__ad_spend') }}
        union all select min(period_start) from {{ ref('stg_marketing__costs') }}
        union all select max(period_end) from {{ ref('stg_marketing__costs') }}
        union all select min(rate_date) from {{ ref('stg_marketing__fx_rates') }}
        union all select max(rate_date) from {{ ref('stg_marketing__fx_rates') }}
    ) as candidate_days
)

select date_day from (
{{ expand_to_days('select first_day, last_day from bounds where first_day is not null', 'first_day', 'last_day') }}
) as days
