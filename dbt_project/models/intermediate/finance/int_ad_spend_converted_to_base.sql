{# Every ad-spend row with its cost in the base currency at the rate of its day; a row whose
   currency has no rate on or before that day goes to quarantine. #}
select
    spend.*,
    spend.cost * fx.rate_to_base as cost_base,
    fx.rate_to_base is null as is_missing_rate
from {{ ref('stg_marketing__ad_spend') }} as spend
left join {{ ref('int_fx_rates_daily') }} as fx
    on spend.currency_code = fx.currency_code
    and spend.spend_date = fx.date_day
