{# Every planned month of plan_vs_fact holds the whole month of kpi_monthly: its actuals add up to the
   month's contacts, deals, revenue and acquisition cost exactly. Returns the months that differ. #}
with

fact as (
    select
        month,
        sum(actual_contacts) as contacts,
        sum(actual_deals) as deals,
        sum(actual_revenue) as revenue,
        sum(actual_budget) as budget
    from {{ ref('plan_vs_fact') }}
    group by month
),

kpi as (
    select
        month,
        sum(incoming_contacts) as contacts,
        sum(deals_won) as deals,
        sum(revenue) as revenue,
        sum(acquisition_cost) as budget
    from {{ ref('kpi_monthly') }}
    where month in (select month from fact)
    group by month
)

select fact.month, fact.contacts, kpi.contacts as kpi_contacts, fact.revenue, kpi.revenue as kpi_revenue
from fact
left join kpi on fact.month = kpi.month
where coalesce(kpi.contacts, 0) <> fact.contacts
    or coalesce(kpi.deals, 0) <> fact.deals
    or coalesce(kpi.revenue, 0) <> fact.revenue
    or coalesce(kpi.budget, 0) <> fact.budget
