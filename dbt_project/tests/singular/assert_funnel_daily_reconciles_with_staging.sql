{# Every usable record is counted exactly once in funnel_daily, whatever incremental runs did to it:
   the totals of the mart equal those recomputed from staging. Counts must match exactly; money to
   within 0.000001 per summed row (each row is rounded to 6 decimals on its way into the mart). A won deal, ad spend or cost
   with no exchange rate is in audit.quarantine instead, so it is left out on both sides. Returns one
   row per measure that disagrees. #}
with

funnel_totals as (
    select
        {{ sum_each(funnel_counts() + funnel_money()) }}
    from {{ ref('funnel_daily') }}
),

{# won deals whose lead is not among the leads: no lead id, or one that names no lead #}
untraced_won_deals as (
    select deals.amount_base
    from {{ ref('int_deals_converted_to_base') }} as deals
    where deals.is_won and not deals.is_missing_rate
        and not exists (
            select 1 from {{ ref('int_leads_joined_to_channels') }} as leads where leads.lead_id = deals.lead_id
        )
),

staged_totals as (
    select
        (select count(*) from {{ ref('stg_crm__contacts') }})
            + (select count(*) from {{ ref('int_leads_joined_to_channels') }} where is_contactless)
            as incoming_contacts,
        (select count(*) from {{ ref('stg_crm__leads') }}) as fixed_leads,
        (select count(*) from {{ ref('stg_crm__meetings') }}) as meetings_booked,
        (select count(*) from {{ ref('stg_crm__meetings') }} where is_held) as meetings_held,
        (select count(*) from {{ ref('stg_crm__meetings') }} where is_no_show) as no_shows,
        (select count(*) from {{ ref('int_deals_converted_to_base') }} where is_won and not is_missing_rate)
            as deals_won,
        (select count(*) from untraced_won_deals) as deals_without_lead,
        (select coalesce(sum(amount_base), 0) from {{ ref('int_deals_converted_to_base') }}
            where is_won and not is_missing_rate) as revenue,
        (select count(*) from {{ ref('int_deals_converted_to_base') }}
            where is_won and not is_missing_rate) as revenue_rows,
        (select coalesce(sum(cost_base), 0) from {{ ref('int_ad_spend_converted_to_base') }}
            where not is_missing_rate) as ad_spend,
        (select count(*) from {{ ref('int_ad_spend_converted_to_base') }}
            where not is_missing_rate) as ad_spend_rows,
        (select coalesce(sum(amount_base), 0) from untraced_won_deals) as revenue_without_lead,
        (select count(*) from untraced_won_deals) as revenue_without_lead_rows,
        (select coalesce(sum(cost_base), 0) from {{ ref('int_costs_spread_by_day') }}
            where not is_quarantined) as other_costs,
        (select count(*) from {{ ref('int_costs_spread_by_day') }}
            where not is_quarantined) as other_costs_rows
    from (select 1 as one) as single_row
),

compared as (
    {% for measure in funnel_counts() %}
    select '{{ measure }}' as measure,
        cast(funnel_totals.{{ measure }} as {{ dbt.type_numeric() }}) as in_funnel_daily,
        cast(staged_totals.{{ measure }} as {{ dbt.type_numeric() }}) as in_staging,
        cast(0 as {{ dbt.type_numeric() }}) as tolerance
    from funnel_totals cross join staged_totals
    union all
    {% endfor %}
    {% for measure in funnel_money() %}
    select '{{ measure }}',
        cast(funnel_totals.{{ measure }} as {{ dbt.type_numeric() }}),
        cast(staged_totals.{{ measure }} as {{ dbt.type_numeric() }}),
        cast(staged_totals.{{ measure }}_rows as {{ dbt.type_numeric() }}) * cast(0.000001 as {{ dbt.type_numeric() }})
    from funnel_totals cross join staged_totals
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select measure, in_funnel_daily, in_staging
from compared
where abs(coalesce(in_funnel_daily, 0) - coalesce(in_staging, 0)) > tolerance
