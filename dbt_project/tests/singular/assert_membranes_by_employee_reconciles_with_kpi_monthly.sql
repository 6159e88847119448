{# Each role's month sums in membranes_by_employee (the (unassigned) row included) are kpi_monthly's
   funnel counts: operators' entered = incoming_contacts, passed = meetings_booked; managers' entered =
   meetings_held, passed = deals_won. Returns the months and roles that differ. #}
with

people as (
    select
        month,
        sum(case when role = 'operator' then entered else 0 end) as operator_entered,
        sum(case when role = 'operator' then passed else 0 end) as operator_passed,
        sum(case when role = 'manager' then entered else 0 end) as manager_entered,
        sum(case when role = 'manager' then passed else 0 end) as manager_passed
    from {{ ref('membranes_by_employee') }}
    group by month
),

kpi as (
    select month, {{ sum_each(['incoming_contacts', 'meetings_booked', 'meetings_held', 'deals_won']) }}
    from {{ ref('kpi_monthly') }}
    group by month
)

select
    coalesce(kpi.month, people.month) as month,
    kpi.incoming_contacts, people.operator_entered,
    kpi.meetings_booked, people.operator_passed,
    kpi.meetings_held, people.manager_entered,
    kpi.deals_won, people.manager_passed
from kpi
full outer join people on kpi.month = people.month
where coalesce(kpi.incoming_contacts, 0) <> coalesce(people.operator_entered, 0)
    or coalesce(kpi.meetings_booked, 0) <> coalesce(people.operator_passed, 0)
    or coalesce(kpi.meetings_held, 0) <> coalesce(people.manager_entered, 0)
    or coalesce(kpi.deals_won, 0) <> coalesce(people.manager_passed, 0)
