{# Every deal with its amount in the base currency at the rate of its closing day. A won deal whose
   currency has no rate on or before that day cannot be counted: it goes to quarantine. #}
select
    deals.*,
    deals.amount * fx.rate_to_base as amount_base,
    deals.is_won and fx.rate_to_base is null as is_missing_rate
from {{ ref('stg_crm__deals') }} as deals
left join {{ ref('int_fx_rates_daily') }} as fx
    on deals.currency_code = fx.currency_code
    and deals.closed_date = fx.date_day
