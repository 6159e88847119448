{# CONTRACT.md: acquisition_cost = ad_spend + other_costs + fixation_cost, in both funnel marts.
   Exact: every term is a decimal with the same scale. Returns the rows where it does not hold. #}
select 'funnel_daily' as mart, cast(date as {{ dbt.type_string() }}) as period, channel,
    acquisition_cost, ad_spend + other_costs + fixation_cost as sum_of_costs
from {{ ref('funnel_daily') }}
where acquisition_cost <> ad_spend + other_costs + fixation_cost

union all

select 'kpi_monthly', cast(month as {{ dbt.type_string() }}), channel,
    acquisition_cost, ad_spend + other_costs + fixation_cost
from {{ ref('kpi_monthly') }}
where acquisition_cost <> ad_spend + other_costs + fixation_cost
