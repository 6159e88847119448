{# One row per month and channel of kpi_monthly. Two views side by side:
   - the period: the month's revenue and acquisition cost (as in kpi_monthly), net marketing
     contribution, ROMI and return on sales;
   - the cohort: the clients whose first won deal closed in that month through that channel, what
     acquiring them cost (CAC) and what they have brought over their life to date (LTV), with the
     months it took their margin to pay the month's acquisition cost back. #}
with

kpi as (
    select month, channel, revenue, acquisition_cost from {{ ref('kpi_monthly') }}
),

margins as (
    select month, gross_margin from {{ ref('int_capacity_by_month') }}
),

deals as (
    select deals.*, margins.gross_margin
    from {{ ref('int_won_deals_joined_to_clients') }} as deals
    left join margins on deals.closed_month = margins.month
),

acquisitions as (
    select client_id, closed_month as acquisition_month, channel as acquisition_channel
    from deals
    where purchase_number = 1
),

cohort_deals as (
    select
        acquisitions.acquisition_month,
        acquisitions.acquisition_channel,
        acquisitions.client_id,
        deals.closed_month,
        deals.revenue,
        deals.revenue * deals.gross_margin as gross_profit
    from acquisitions
    inner join deals on acquisitions.client_id = deals.client_id
),

cohorts as (
    select
        acquisition_month,
        acquisition_channel,
        count(distinct client_id) as new_clients,
        count(*) as cohort_deals_won,
        sum(revenue) as cohort_revenue,
        sum(gross_profit) as cohort_gross_profit
    from cohort_deals
    group by acquisition_month, acquisition_channel
),

{# Cumulative margin of each cohort by the month it was earned in, to find the payback month. #}
cohort_months as (
    select
        acquisition_month,
        acquisition_channel,
        closed_month,
        sum(sum(gross_profit)) over (
            partition by acquisition_month, acquisition_channel
            order by closed_month
            rows between unbounded preceding and current row
        ) as cumulative_gross_profit
    from cohort_deals
    group by acquisition_month, acquisition_channel, closed_month
),

paybacks as (
    select
        cohort_months.acquisition_month,
        cohort_months.acquisition_channel,
        min({{ dbt.datediff('cohort_months.acquisition_month', 'cohort_months.closed_month', 'month') }})
            as payback_months
    from cohort_months
    inner join kpi
        on cohort_months.acquisition_month = kpi.month
        and cohort_months.acquisition_channel = kpi.channel
    where cohort_months.cumulative_gross_profit >= kpi.acquisition_cost
    group by cohort_months.acquisition_month, cohort_months.acquisition_channel
),

measured as (
    select
        kpi.month,
        kpi.channel,
        margins.gross_margin,
        kpi.revenue,
        kpi.acquisition_cost,
        kpi.revenue * margins.gross_margin - kpi.acquisition_cost as net_marketing_contribution,
        coalesce(cohorts.new_clients, 0) as new_clients,
        coalesce(cohorts.cohort_deals_won, 0) as cohort_deals_won,
        coalesce(cohorts.cohort_revenue, 0) as cohort_revenue,
        coalesce(cohorts.cohort_gross_profit, 0) as cohort_gross_profit,
        paybacks.payback_months
    from kpi
    left join margins on kpi.month = margins.month
    left join cohorts
        on kpi.month = cohorts.acquisition_month and kpi.channel = cohorts.acquisition_channel
    left join paybacks
        on kpi.month = paybacks.acquisition_month and kpi.channel = paybacks.acquisition_channel
),

final as (
    select
        month,
        channel,
        cast(gross_margin as {{ dbt.type_numeric() }}) as gross_margin,
        -- the period
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        cast(acquisition_cost as {{ dbt.type_numeric() }}) as acquisition_cost,
        cast(net_marketing_contribution as {{ dbt.type_numeric() }}) as net_marketing_contribution,
        {{ safe_divide('net_marketing_contribution', 'acquisition_cost') }} as romi,
        {{ safe_divide('net_marketing_contribution', 'revenue') }} as return_on_sales,
        -- the cohort acquired in the period
        cast(new_clients as {{ dbt.type_bigint() }}) as new_clients,
        {{ safe_divide('acquisition_cost', 'new_clients') }} as cac,
        cast(cohort_deals_won as {{ dbt.type_bigint() }}) as cohort_deals_won,
        cast(cohort_deals_won - new_clients as {{ dbt.type_bigint() }}) as cohort_repeat_purchases,
        {{ safe_divide('cohort_deals_won', 'new_clients') }} as purchases_per_client,
        cast(cohort_revenue as {{ dbt.type_numeric() }}) as cohort_revenue,
        cast(cohort_gross_profit as {{ dbt.type_numeric() }}) as cohort_gross_profit,
        {{ safe_divide('cohort_gross_profit', 'new_clients') }} as ltv,
        {# LTV / CAC = cohort margin / acquisition cost; no cohort, no ratio #}
        {{ safe_divide('case when new_clients > 0 then cohort_gross_profit end', 'acquisition_cost') }}
            as ltv_to_cac,
        cast(payback_months as {{ dbt.type_bigint() }}) as payback_months
    from measured
)

select * from final
