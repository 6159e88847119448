{{ config(materialized='table') }}
{# The price of fixing one lead, per channel ('*' = every channel) and day, in the base currency:
   the latest effective_from on or before the day, converted at the rate of its effective_from. #}
with

prices as (
    select
        fixation.channel,
        fixation.effective_from,
        {# a price in the base currency needs no rate, even before the first day of data #}
        fixation.cost_per_fixed_lead
            * case when fixation.currency_code = {{ base_currency() }} then 1 else fx.rate_to_base end
            as cost_per_fixed_lead
    from {{ ref('stg_config__fixation_cost') }} as fixation
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fixation.currency_code = fx.currency_code
        and fixation.effective_from = fx.date_day
),

daily as (
    {{ spans_to_days('prices', ['channel'], 'effective_from') }}
)

select channel, date_day, cost_per_fixed_lead from daily
