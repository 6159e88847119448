{{ config(materialized='table') }}
{# The price of fixing one lead, per channel ('*' = every channel) and day, in the base currency:
   the latest effective_from on or before the day, converted at the rate of its effective_from.
   A foreign-currency price with no rate on its effective_from fails the build with one line saying
   what to fix. #}
with

prices as (
    select
        fixation.channel,
        fixation.effective_from,
        {# a price in the base currency (or with no currency) needs no rate, even before the first day
           of data; a price with no rate is a settings error to fix, not a number to guess #}
        case
            when coalesce(fixation.currency_code, {{ base_currency() }}) = {{ base_currency() }}
                then fixation.cost_per_fixed_lead
            when fx.rate_to_base is null
                then {{ raise_error(
                    "'config/fixation_cost.csv: the price of channel ' || fixation.channel || ' from '
                    || cast(fixation.effective_from as " ~ dbt.type_string() ~ ") || ' is in '
                    || fixation.currency_code || ', which has no exchange rate on or before that day: add '
                    || fixation.currency_code || ' rates to landing/fx_rates or give the price in '
                    || " ~ base_currency()
                ) }}
            else fixation.cost_per_fixed_lead * fx.rate_to_base
        end as cost_per_fixed_lead
    from {{ ref('stg_config__fixation_cost') }} as fixation
    left join {{ ref('int_fx_rates_daily') }} as fx
        on fixation.currency_code = fx.currency_code
        and fixation.effective_from = fx.date_day
),

daily as (
    {{ spans_to_days('prices', ['channel'], 'effective_from') }}
)

select channel, date_day, cost_per_fixed_lead from daily
