{# capacity_plan_by_channel has kpi_monthly's months, channels and sums exactly, and its channels'
   required contacts add up to the month's in capacity_plan (to 1e-9, they are doubles). Returns the
   months that differ. #}
{% set measures = ['incoming_contacts', 'deals_won', 'revenue', 'acquisition_cost'] %}
with

by_channel as (
    select month, count(*) as channels, {{ sum_each(measures + ['required_contacts']) }}
    from {{ ref('capacity_plan_by_channel') }}
    group by month
),

kpi as (
    select month, count(*) as channels, {{ sum_each(measures) }}
    from {{ ref('kpi_monthly') }}
    group by month
),

plan as (
    select month, required_contacts, acquisition_cost from {{ ref('capacity_plan') }}
)

select coalesce(kpi.month, by_channel.month) as month, kpi.incoming_contacts, by_channel.incoming_contacts,
    plan.required_contacts, by_channel.required_contacts as channels_required_contacts
from kpi
full outer join by_channel on kpi.month = by_channel.month
left join plan on coalesce(kpi.month, by_channel.month) = plan.month
where kpi.month is null or by_channel.month is null
    or kpi.channels <> by_channel.channels
    {% for measure in measures %}
    or kpi.{{ measure }} <> by_channel.{{ measure }}
    {% endfor %}
    or kpi.acquisition_cost <> plan.acquisition_cost
    or abs(coalesce(plan.required_contacts, 0) - coalesce(by_channel.required_contacts, 0))
        > 1e-9 * (1 + abs(coalesce(plan.required_contacts, 0)))
