{# A table: several marts and their tests read it, and as a view each read recomputed its joins over every contact and lead. #}
{{ config(materialized='table') }}
{# One row per won deal that kpi_monthly counts (a won deal with no usable rate is quarantined, not
   counted), with its client and the number of the purchase in that client's history. The client is
   the deal's own hashed client_key, else its lead's client, else the deal alone ('deal:' || deal_id).
   The channel is the lead's, `unknown` for a deal with no lead (as in funnel_daily). #}
with

deals as (
    select * from {{ ref('int_deals_converted_to_base') }}
    where is_won and not is_missing_rate
),

leads as (
    select lead_id, client_id, channel from {{ ref('int_leads_joined_to_clients') }}
),

identified as (
    select
        deals.deal_id,
        deals.lead_id,
        coalesce(deals.client_key_hash, leads.client_id, 'deal:' || deals.deal_id) as client_id,
        coalesce(leads.channel, 'unknown') as channel,
        deals.closed_at,
        deals.closed_date,
        cast({{ dbt.date_trunc('month', 'deals.closed_date') }} as date) as closed_month,
        cast(deals.amount_base as {{ dbt.type_numeric() }}) as revenue
    from deals
    left join leads on deals.lead_id = leads.lead_id
),

final as (
    select
        identified.*,
        row_number() over (
            partition by client_id order by closed_at, deal_id
        ) as purchase_number,
        lag(closed_at) over (
            partition by client_id order by closed_at, deal_id
        ) as previous_purchase_closed_at
    from identified
)

select * from final
