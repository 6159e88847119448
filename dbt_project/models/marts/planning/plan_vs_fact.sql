{# One row per month and channel of the plan's months: config/plan.csv's targets beside kpi_monthly's
   actuals. A channel with actuals but no plan row in a planned month is shown too (targets NULL), so
   that each planned month's actuals are the whole company's. #}
with

plan as (
    select * from {{ ref('stg_config__plan') }}
),

actuals as (
    select month, channel, incoming_contacts, deals_won, revenue, acquisition_cost
    from {{ ref('kpi_monthly') }}
    where month in (select month from plan)
),

compared as (
    select
        coalesce(plan.month, actuals.month) as month,
        coalesce(plan.channel, actuals.channel) as channel,
        plan.month is not null as is_planned,
        plan.target_contacts,
        coalesce(actuals.incoming_contacts, 0) as actual_contacts,
        plan.target_deals,
        coalesce(actuals.deals_won, 0) as actual_deals,
        plan.target_revenue,
        coalesce(actuals.revenue, 0) as actual_revenue,
        plan.target_budget,
        coalesce(actuals.acquisition_cost, 0) as actual_budget
    from plan
    full outer join actuals on plan.month = actuals.month and plan.channel = actuals.channel
),

final as (
    select
        compared.month,
        compared.channel,
        compared.is_planned,
        coalesce(months.is_complete_month, false) as is_complete_month,
        compared.target_contacts,
        cast(compared.actual_contacts as {{ dbt.type_bigint() }}) as actual_contacts,
        {{ safe_divide('compared.actual_contacts', 'compared.target_contacts') }} as contacts_achievement,
        compared.target_deals,
        cast(compared.actual_deals as {{ dbt.type_bigint() }}) as actual_deals,
        {{ safe_divide('compared.actual_deals', 'compared.target_deals') }} as deals_achievement,
        compared.target_revenue,
        cast(compared.actual_revenue as {{ dbt.type_numeric() }}) as actual_revenue,
        {{ safe_divide('compared.actual_revenue', 'compared.target_revenue') }} as revenue_achievement,
        cast(compared.actual_revenue - compared.target_revenue as {{ dbt.type_numeric() }})
            as revenue_deviation,
        compared.target_budget,
        cast(compared.actual_budget as {{ dbt.type_numeric() }}) as actual_budget,
        {{ safe_divide('compared.actual_budget', 'compared.target_budget') }} as budget_spent_share,
        cast(compared.actual_budget - compared.target_budget as {{ dbt.type_numeric() }}) as budget_deviation
    from compared
    left join {{ ref('capacity_plan') }} as months on compared.month = months.month
)

select * from final
