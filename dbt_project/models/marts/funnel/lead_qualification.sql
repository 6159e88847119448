{# One row per month of lead creation and channel: how the leads' current CRM statuses map to the
   canonical stages of config/lead_statuses.csv, and the MQL → SAL acceptance rate. A lead counts as
   an MQL when its stage is mql or any stage after it (rejected, sal, sql, won, lost) and as a SAL
   when sales accepted it (sal, sql, won, lost). #}
{% set mql_stages = "('mql', 'rejected', 'sal', 'sql', 'won', 'lost')" %}
{% set sal_stages = "('sal', 'sql', 'won', 'lost')" %}
with

leads as (
    select
        channels.lead_id,
        channels.channel,
        channels.created_date,
        lower(trim(statuses.lead_status)) as lead_status
    from {{ ref('int_leads_joined_to_channels') }} as channels
    inner join {{ ref('stg_crm__leads') }} as statuses on channels.lead_id = statuses.lead_id
),

staged as (
    select
        leads.*,
        case
            when leads.lead_status is null then 'no_status'
            when stages.stage is null then 'unmapped'
            else stages.stage
        end as stage
    from leads
    left join {{ ref('stg_config__lead_statuses') }} as stages on leads.lead_status = stages.lead_status
),

monthly as (
    select
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month,
        channel,
        count(*) as leads,
        sum(case when stage = 'no_status' then 0 else 1 end) as leads_with_status,
        sum(case when stage = 'unmapped' then 1 else 0 end) as unmapped_leads,
        sum(case when stage = 'disqualified' then 1 else 0 end) as disqualified,
        sum(case when stage in {{ mql_stages }} then 1 else 0 end) as mql,
        sum(case when stage = 'mql' then 1 else 0 end) as awaiting_sales,
        sum(case when stage = 'rejected' then 1 else 0 end) as rejected,
        sum(case when stage in {{ sal_stages }} then 1 else 0 end) as sal
    from staged
    group by 1, 2
),

final as (
    select
        month,
        channel,
        cast(leads as {{ dbt.type_bigint() }}) as leads,
        cast(leads_with_status as {{ dbt.type_bigint() }}) as leads_with_status,
        cast(unmapped_leads as {{ dbt.type_bigint() }}) as unmapped_leads,
        cast(disqualified as {{ dbt.type_bigint() }}) as disqualified,
        cast(mql as {{ dbt.type_bigint() }}) as mql,
        cast(awaiting_sales as {{ dbt.type_bigint() }}) as awaiting_sales,
        cast(rejected as {{ dbt.type_bigint() }}) as rejected,
        cast(sal as {{ dbt.type_bigint() }}) as sal,
        {{ safe_divide('mql', 'leads_with_status - unmapped_leads') }} as mql_rate,
        {{ safe_divide('sal', 'mql') }} as acceptance_rate,
        {{ safe_divide('sal', 'sal + rejected') }} as decided_acceptance_rate
    from monthly
)

select * from final
