{# unit_economics and stage_velocity have one row per kpi_monthly row and take its period figures:
   revenue, acquisition cost and held meetings agree exactly, and ROMI is kpi_monthly's ROMI. Cohort
   figures reconcile too: the new clients of all months are the buyers of the clients mart. Returns
   what differs. #}
with

kpi as (
    select * from {{ ref('kpi_monthly') }}
),

period_mismatches as (
    select
        coalesce(kpi.month, unit_economics.month, stage_velocity.month) as month,
        coalesce(kpi.channel, unit_economics.channel, stage_velocity.channel) as channel,
        'period figures' as claim
    from kpi
    full outer join {{ ref('unit_economics') }} as unit_economics
        on kpi.month = unit_economics.month and kpi.channel = unit_economics.channel
    full outer join {{ ref('stage_velocity') }} as stage_velocity
        on kpi.month = stage_velocity.month and kpi.channel = stage_velocity.channel
    where kpi.month is null
        or unit_economics.month is null
        or stage_velocity.month is null
        or unit_economics.revenue <> kpi.revenue
        or unit_economics.acquisition_cost <> kpi.acquisition_cost
        or stage_velocity.acquisition_cost <> kpi.acquisition_cost
        or stage_velocity.meetings_held <> kpi.meetings_held
        or stage_velocity.fixed_leads <> kpi.fixed_leads
        or (unit_economics.romi is null) <> (kpi.romi is null)
        or abs(unit_economics.romi - kpi.romi) > 0.000001
),

cohort_mismatches as (
    select cast(null as date) as month, 'all channels' as channel, 'new clients are the buyers' as claim
    where (select sum(new_clients) from {{ ref('unit_economics') }})
        <> (select count(*) from {{ ref('clients') }} where is_buyer)
)

select * from period_mismatches
union all
select * from cohort_mismatches
