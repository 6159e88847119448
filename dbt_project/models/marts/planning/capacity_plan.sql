{# One row per month: what production can do, how loaded it was, and the flows and staff the month
   needs to fill capacity at the month's own measured rates ("sell no less than we can produce").
   The formulas are those of the planner (`membrana plan`, CONTRACT.md). Then the cost of a job at the
   target load, the margin per deal and the month's operating profit. #}
with

capacity as (
    select * from {{ ref('int_capacity_by_month') }}
),

flows as (
    select
        month,
        {{ sum_each(funnel_counts() + ['revenue', 'acquisition_cost']) }}
    from {{ ref('kpi_monthly') }}
    group by month
),

active_operators as (
    select cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month,
        count(distinct operator_id) as operators_active
    from {{ ref('int_leads_joined_to_channels') }}
    group by 1
),

active_managers as (
    select cast({{ dbt.date_trunc('month', 'scheduled_date') }} as date) as month,
        count(distinct manager_id) as managers_active
    from {{ ref('stg_crm__meetings') }}
    where is_held or is_no_show
    group by 1
),

data_coverage as (
    select max(date) as data_through from {{ ref('funnel_daily') }} where incoming_contacts > 0
),

measured as (
    select
        capacity.month,
        capacity.production_units,
        capacity.jobs_per_unit_per_shift,
        capacity.working_days_per_month,
        capacity.shift_hours,
        capacity.meeting_hours,
        capacity.call_minutes,
        capacity.target_load,
        capacity.fixed_costs_per_month,
        capacity.variable_cost_per_job,
        capacity.gross_margin,
        capacity.production_units * capacity.jobs_per_unit_per_shift * capacity.working_days_per_month
            as capacity_jobs,
        coalesce(flows.incoming_contacts, 0) as incoming_contacts,
        coalesce(flows.meetings_booked, 0) as meetings_booked,
        coalesce(flows.meetings_held, 0) as meetings_held,
        coalesce(flows.no_shows, 0) as no_shows,
        coalesce(flows.deals_won, 0) as deals_won,
        coalesce(flows.revenue, 0) as revenue,
        coalesce(flows.acquisition_cost, 0) as acquisition_cost,
        {{ safe_divide('flows.meetings_booked', 'flows.incoming_contacts') }} as booking_rate,
        {{ safe_divide('flows.no_shows', 'flows.meetings_booked') }} as no_show_rate,
        {# deals no lead traces passed no meeting (kpi_monthly) #}
        {{ safe_divide('flows.deals_won - flows.deals_without_lead', 'flows.meetings_held') }} as closing_rate,
        coalesce(active_operators.operators_active, 0) as operators_active,
        coalesce(active_managers.managers_active, 0) as managers_active,
        cast({{ dbt.last_day('capacity.month', 'month') }} as date) <= data_coverage.data_through
            as is_complete_month
    from capacity
    cross join data_coverage
    left join flows on capacity.month = flows.month
    left join active_operators on capacity.month = active_operators.month
    left join active_managers on capacity.month = active_managers.month
),

required_flows as (
    select
        measured.*,
        {{ safe_divide('deals_won', 'capacity_jobs') }} as production_load,
        cast(capacity_jobs as {{ membrana.type_double() }}) as required_deals,
        {{ safe_divide('capacity_jobs', 'closing_rate') }} as required_meetings_held
    from measured
),

required_meetings as (
    select
        required_flows.*,
        {{ safe_divide('required_meetings_held', '1 - no_show_rate') }} as required_meetings_booked
    from required_flows
),

staffed as (
    select
        required_meetings.*,
        {{ safe_divide('required_meetings_booked', 'booking_rate') }} as required_contacts,
        {{ safe_divide('required_meetings_held',
                       'working_days_per_month * (shift_hours / meeting_hours)') }} as required_managers,
        {{ safe_divide(safe_divide('required_meetings_booked', 'booking_rate'),
                       'working_days_per_month * (shift_hours / (call_minutes / 60.0))') }} as required_operators,
        deals_won < capacity_jobs as is_selling_below_capacity
    from required_meetings
),

{# cost at target load: the fixed costs spread over the jobs production does at its target load #}
unit_costs as (
    select
        staffed.*,
        {{ safe_divide('fixed_costs_per_month', 'target_load * capacity_jobs') }} + variable_cost_per_job
            as production_unit_cost,
        {{ safe_divide('acquisition_cost', 'deals_won') }} as acquisition_cost_per_deal,
        {{ safe_divide('revenue', 'deals_won') }} as average_check
    from staffed
),

final as (
    select
        unit_costs.*,
        operators_active - required_operators as operators_active_minus_required,
        managers_active - required_managers as managers_active_minus_required,
        production_unit_cost + acquisition_cost_per_deal as full_unit_cost,
        average_check - (production_unit_cost + acquisition_cost_per_deal) as margin_per_deal,
        cast(revenue * gross_margin - acquisition_cost - fixed_costs_per_month as {{ dbt.type_numeric() }})
            as operating_profit
    from unit_costs
)

select * from final
