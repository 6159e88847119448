{# One row per month and channel: what each channel must bring to fill capacity, and what one of its
   deals costs and earns at the target load. The month's required contacts (capacity_plan) are split
   over the channels by the month's channel mix of incoming contacts; each channel's budget is its
   share at its own cost per incoming contact. #}
with

channels as (
    select
        month,
        channel,
        incoming_contacts,
        deals_won,
        revenue,
        acquisition_cost,
        {{ safe_divide('incoming_contacts', 'sum(incoming_contacts) over (partition by month)') }}
            as contact_share,
        {{ safe_divide('acquisition_cost', 'incoming_contacts') }} as cost_per_incoming_contact,
        {{ safe_divide('acquisition_cost', 'deals_won') }} as acquisition_cost_per_deal,
        {{ safe_divide('revenue', 'deals_won') }} as average_check
    from {{ ref('kpi_monthly') }}
),

plan as (
    select month, required_contacts, production_unit_cost from {{ ref('capacity_plan') }}
),

required as (
    select
        channels.*,
        plan.production_unit_cost,
        plan.required_contacts * channels.contact_share as required_contacts
    from channels
    left join plan on channels.month = plan.month
),

final as (
    select
        month,
        channel,
        cast(incoming_contacts as {{ dbt.type_bigint() }}) as incoming_contacts,
        cast(deals_won as {{ dbt.type_bigint() }}) as deals_won,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        cast(acquisition_cost as {{ dbt.type_numeric() }}) as acquisition_cost,
        contact_share,
        cost_per_incoming_contact,
        required_contacts,
        {# a channel the mix gives nothing to needs no budget, even when it has no contacts to price #}
        case when required_contacts = 0 then 0 else required_contacts * cost_per_incoming_contact end
            as required_budget,
        production_unit_cost,
        acquisition_cost_per_deal,
        production_unit_cost + acquisition_cost_per_deal as full_unit_cost,
        average_check,
        average_check - (production_unit_cost + acquisition_cost_per_deal) as margin_per_deal
    from required
)

select * from final
