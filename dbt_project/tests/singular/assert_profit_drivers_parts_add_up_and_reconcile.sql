{# profit_drivers: the parts of each change add up to profit_change (to 1e-6 of a rouble per rouble:
   the effects are doubles), each month's channels sum to kpi_monthly's revenue and acquisition cost,
   and their profit less the company's fixed costs is capacity_plan.operating_profit. Returns what
   differs. #}
with

parts as (
    select month, channel, profit_change,
        contacts_effect + conversion_effect + average_check_effect + purchases_effect + margin_effect
            + fixed_costs_effect + outside_formula_effect as sum_of_effects
    from {{ ref('profit_drivers') }}
    where profit_change is not null
),

unbalanced as (
    select month, channel, 'parts' as check_name
    from parts
    where sum_of_effects is null
        or abs(sum_of_effects - cast(profit_change as double)) > 1e-6 * (1 + abs(cast(profit_change as double)))
),

drivers as (
    select month, sum(revenue) as revenue, sum(fixed_costs) as fixed_costs, sum(profit) as profit
    from {{ ref('profit_drivers') }}
    group by month
),

kpi as (
    select month, sum(revenue) as revenue, sum(acquisition_cost) as acquisition_cost
    from {{ ref('kpi_monthly') }}
    group by month
),

unreconciled as (
    select coalesce(kpi.month, drivers.month) as month, cast(null as {{ dbt.type_string() }}) as channel,
        'kpi_monthly and capacity_plan' as check_name
    from kpi
    full outer join drivers on kpi.month = drivers.month
    left join {{ ref('capacity_plan') }} as plan on coalesce(kpi.month, drivers.month) = plan.month
    where kpi.month is null or drivers.month is null
        or kpi.revenue <> drivers.revenue
        or kpi.acquisition_cost <> drivers.fixed_costs
        or abs(drivers.profit - plan.fixed_costs_per_month - plan.operating_profit) > 0.01
)

select * from unbalanced
union all
select * from unreconciled
