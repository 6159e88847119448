{{ config(materialized='table') }}
{# The rate to the base currency of every currency on every day from its first quoted day on:
   the latest rate on or before that day (CONTRACT.md). The base currency is 1 on every day. #}
with

rates as (
    select currency_code, rate_date, rate_to_base
    from {{ ref('stg_marketing__fx_rates') }}
    where currency_code <> {{ base_currency() }}
),

quoted_days as (
    {{ spans_to_days('rates', ['currency_code'], 'rate_date') }}
),

base_currency_days as (
    select {{ base_currency() }} as currency_code, date_day, cast(1 as {{ dbt.type_numeric() }}) as rate_to_base
    from {{ ref('int_calendar_days') }}
)

select currency_code, date_day, rate_to_base from quoted_days
union all
select currency_code, date_day, rate_to_base from base_currency_days
