{# What budget fills next month's capacity? The contacts the last complete month says production needs
   (capacity_plan.required_contacts, the planner's formula at that month's rates), bought in the same
   channel mix and at the same cost per incoming contact as that month. Per channel, with the total in
   every row. For other rates or capacity, `membrana plan` gives the contacts; multiply by the cost. #}
with

last_month as (
    select month, required_contacts, incoming_contacts as total_contacts
    from {{ ref('capacity_plan') }}
    where month = (select max(month) from {{ ref('capacity_plan') }} where is_complete_month)
),

channels as (
    select
        kpi.channel,
        kpi.incoming_contacts,
        kpi.acquisition_cost,
        last_month.required_contacts,
        1.0 * kpi.incoming_contacts / nullif(last_month.total_contacts, 0) as share_of_contacts,
        kpi.acquisition_cost / nullif(kpi.incoming_contacts, 0) as cost_per_incoming_contact
    from {{ ref('kpi_monthly') }} as kpi
    inner join last_month on kpi.month = last_month.month
),

budget as (
    select
        channel,
        share_of_contacts,
        cost_per_incoming_contact,
        required_contacts * share_of_contacts as contacts_needed,
        required_contacts * share_of_contacts * cost_per_incoming_contact as budget_needed,
        acquisition_cost as budget_last_month
    from channels
)

select
    budget.*,
    sum(budget_needed) over () as total_budget_needed,
    sum(budget_last_month) over () as total_budget_last_month
from budget
order by budget_needed desc
