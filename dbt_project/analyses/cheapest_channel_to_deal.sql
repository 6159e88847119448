{# Which channel's contacts are cheapest to turn into deals? Over the last three complete months:
   what a won deal cost per channel (acquisition cost / deals won), with the contact price and the
   conversion behind it. Cheapest first; channels with no deal last.
   Compile with `dbt compile -s cheapest_channel_to_deal`, run the SQL in target/compiled/. #}
with

complete_months as (
    select month
    from {{ ref('capacity_plan') }}
    where is_complete_month
    order by month desc
    limit 3
),

per_channel as (
    select
        kpi.channel,
        sum(kpi.incoming_contacts) as incoming_contacts,
        sum(kpi.fixed_leads) as fixed_leads,
        sum(kpi.deals_won) as deals_won,
        sum(kpi.acquisition_cost) as acquisition_cost
    from {{ ref('kpi_monthly') }} as kpi
    inner join complete_months on kpi.month = complete_months.month
    group by kpi.channel
)

select
    channel,
    incoming_contacts,
    deals_won,
    acquisition_cost,
    acquisition_cost / nullif(fixed_leads, 0) as cost_per_contact,
    1.0 * deals_won / nullif(fixed_leads, 0) as conversion_rate,
    acquisition_cost / nullif(deals_won, 0) as cost_per_deal
from per_channel
order by case when deals_won > 0 then 0 else 1 end, cost_per_deal, channel
