{# Every month with funnel figures has its row in capacity_plan (its capacity settings and the flows
   it needed): a month missing there would silently drop out of the planner. #}
select distinct kpi_monthly.month
from {{ ref('kpi_monthly') }} as kpi_monthly
left join {{ ref('capacity_plan') }} as capacity_plan
    on kpi_monthly.month = capacity_plan.month
where capacity_plan.month is null
