{# One row per month, role and person: the membrane each person answers for, their workload against
   the norms of config/capacity.csv and their rank among the peers of the month.
   Operators answer for the first membrane (ПО → ПВ(Д)): the incoming contacts of the leads they
   fixed, and the meetings booked for those leads. Managers answer for the second (ПВ(С) → КО): the
   meetings they held and the deals won on their leads. Events are counted on their own days, as in
   funnel_daily, so each role's month sums (with the unassigned row) equal kpi_monthly's. #}
{% set unassigned = "'(unassigned)'" %}
with

leads as (
    select lead_id, operator_id, manager_id, is_contactless, created_date
    from {{ ref('int_leads_joined_to_channels') }}
),

meetings as (
    select meeting_id, lead_id, manager_id, booked_date, scheduled_date, is_held, is_no_show
    from {{ ref('stg_crm__meetings') }}
),

{# a won deal belongs to its lead's manager, else to the manager of the lead's latest held meeting #}
latest_held_meetings as (
    select lead_id, manager_id
    from (
        select
            lead_id,
            manager_id,
            row_number() over (partition by lead_id order by scheduled_date desc, meeting_id desc) as held_rank
        from meetings
        where is_held and manager_id is not null
    ) as ranked
    where held_rank = 1
),

operator_events as (
    select contacts.received_date as event_date, leads.operator_id as employee_id,
        1 as entered, 0 as passed
    from {{ ref('stg_crm__contacts') }} as contacts
    left join leads on contacts.lead_id = leads.lead_id
    union all
    select created_date, operator_id, 1, 0
    from leads
    where is_contactless
    union all
    select meetings.booked_date, leads.operator_id, 0, 1
    from meetings
    left join leads on meetings.lead_id = leads.lead_id
),

manager_events as (
    select meetings.scheduled_date as event_date,
        coalesce(meetings.manager_id, leads.manager_id) as employee_id, 1 as entered, 0 as passed
    from meetings
    left join leads on meetings.lead_id = leads.lead_id
    where meetings.is_held
    union all
    select deals.closed_date, coalesce(leads.manager_id, latest_held_meetings.manager_id), 0, 1
    from {{ ref('int_deals_converted_to_base') }} as deals
    left join leads on deals.lead_id = leads.lead_id
    left join latest_held_meetings on deals.lead_id = latest_held_meetings.lead_id
    where deals.is_won and not deals.is_missing_rate
),

events as (
    select 'operator' as role, event_date, coalesce(employee_id, {{ unassigned }}) as employee_id,
        employee_id is not null as is_assigned, entered, passed
    from operator_events
    union all
    select 'manager', event_date, coalesce(employee_id, {{ unassigned }}), employee_id is not null,
        entered, passed
    from manager_events
),

monthly as (
    select
        cast({{ dbt.date_trunc('month', 'event_date') }} as date) as month,
        role,
        employee_id,
        is_assigned,
        sum(entered) as entered,
        sum(passed) as passed
    from events
    group by 1, 2, 3, 4
),

norms as (
    select
        monthly.*,
        {# hours of work the month's volume takes at the norms, and the hours of a full month's shifts #}
        case when monthly.role = 'operator'
            then monthly.entered * capacity.call_minutes / 60.0
            else monthly.entered * capacity.meeting_hours
        end as work_hours,
        capacity.working_days_per_month * capacity.shift_hours as norm_hours
    from monthly
    left join {{ ref('int_capacity_by_month') }} as capacity on monthly.month = capacity.month
),

rated as (
    select
        norms.*,
        {{ safe_divide('passed', 'entered') }} as pass_rate,
        {{ safe_divide('work_hours', 'norm_hours') }} as workload,
        {{ safe_divide('sum(passed) over (partition by month, role, is_assigned)',
                       'sum(entered) over (partition by month, role, is_assigned)') }} as peers_pass_rate,
        count(*) over (partition by month, role, is_assigned) as peers
    from norms
),

final as (
    select
        month,
        role,
        employee_id,
        is_assigned,
        cast(entered as {{ dbt.type_bigint() }}) as entered,
        cast(passed as {{ dbt.type_bigint() }}) as passed,
        pass_rate,
        case when is_assigned then peers_pass_rate end as peers_pass_rate,
        cast(work_hours as {{ membrana.type_double() }}) as work_hours,
        cast(norm_hours as {{ membrana.type_double() }}) as norm_hours,
        workload,
        case when is_assigned then cast(peers as {{ dbt.type_bigint() }}) end as peers,
        case when is_assigned then cast(rank() over (
            partition by month, role, is_assigned order by pass_rate desc nulls last
        ) as {{ dbt.type_bigint() }}) end as pass_rate_rank,
        case when is_assigned then cast(rank() over (
            partition by month, role, is_assigned order by passed desc
        ) as {{ dbt.type_bigint() }}) end as volume_rank
    from rated
)

select * from final
