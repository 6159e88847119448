{# Each cohort is the leads kpi_monthly counts as fixed in that month and channel: fixed_leads agree
   exactly, in every week of the cohort, and no month and channel with fixed leads is missing.
   Returns what differs. #}
with

kpi as (
    select month, channel, fixed_leads from {{ ref('kpi_monthly') }} where fixed_leads > 0
),

cohorts as (
    select cohort_month, channel, min(fixed_leads) as min_fixed_leads, max(fixed_leads) as max_fixed_leads
    from {{ ref('funnel_cohorts') }}
    group by cohort_month, channel
)

select
    coalesce(kpi.month, cohorts.cohort_month) as month,
    coalesce(kpi.channel, cohorts.channel) as channel,
    kpi.fixed_leads as kpi_fixed_leads,
    cohorts.min_fixed_leads,
    cohorts.max_fixed_leads
from kpi
full outer join cohorts on kpi.month = cohorts.cohort_month and kpi.channel = cohorts.channel
where kpi.month is null
    or cohorts.cohort_month is null
    or kpi.fixed_leads <> cohorts.min_fixed_leads
    or kpi.fixed_leads <> cohorts.max_fixed_leads
