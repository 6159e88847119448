{# One row per month and channel: the profit formula of the methodology and what moved it.
     gross profit = contacts × conversion × average check × purchases per client × margin
     profit       = gross profit − fixed costs (the channel's acquisition costs of the month)
   The change against the previous month is split by chain substitution (цепные подстановки): the
   factors are replaced one at a time, in the order of the formula, each taking its new value while the
   ones after it keep the old; the parts telescope, so they add up exactly to the change. #}
with

kpi as (
    select month, channel, incoming_contacts, deals_won, revenue, acquisition_cost
    from {{ ref('kpi_monthly') }}
),

leads as (
    select lead_id, channel, client_key_hash from {{ ref('int_leads_joined_to_channels') }}
),

{# a client is the deal's client key, else its lead's, else the deal alone (nothing to match it by) #}
won_deals as (
    select
        cast({{ dbt.date_trunc('month', 'deals.closed_date') }} as date) as month,
        coalesce(leads.channel, 'unknown') as channel,
        coalesce(deals.client_key_hash, leads.client_key_hash, 'deal ' || deals.deal_id) as client
    from {{ ref('int_deals_converted_to_base') }} as deals
    left join leads on deals.lead_id = leads.lead_id
    where deals.is_won and not deals.is_missing_rate
),

clients as (
    select month, channel, count(distinct client) as clients
    from won_deals
    group by month, channel
),

{# every channel in every month, so that a channel's quiet month is a change to zero, not a gap #}
months as (
    select distinct month from kpi
),

channels as (
    select distinct channel from kpi
),

grid as (
    select months.month, channels.channel
    from months
    cross join channels
),

measured as (
    select
        grid.month,
        grid.channel,
        coalesce(kpi.incoming_contacts, 0) as incoming_contacts,
        coalesce(clients.clients, 0) as clients,
        coalesce(kpi.deals_won, 0) as deals_won,
        coalesce(kpi.revenue, 0) as revenue,
        coalesce(kpi.acquisition_cost, 0) as fixed_costs,
        margins.gross_margin
    from grid
    left join kpi on grid.month = kpi.month and grid.channel = kpi.channel
    left join clients on grid.month = clients.month and grid.channel = clients.channel
    left join {{ ref('int_capacity_by_month') }} as margins on grid.month = margins.month
),

factors as (
    select
        measured.*,
        {{ safe_divide('clients', 'incoming_contacts') }} as conversion,
        {{ safe_divide('revenue', 'deals_won') }} as average_check,
        {{ safe_divide('deals_won', 'clients') }} as purchases_per_client,
        cast(revenue * gross_margin as {{ dbt.type_numeric() }}) as gross_profit,
        cast(revenue * gross_margin - fixed_costs as {{ dbt.type_numeric() }}) as profit,
        {# revenue without contacts (deals with no lead, in `unknown`) cannot be written as the product #}
        incoming_contacts > 0 or revenue = 0 as fits_formula
    from measured
),

paired as (
    select
        cur.*,
        prev.month is not null as has_previous,
        prev.profit as previous_profit,
        prev.gross_profit as previous_gross_profit,
        prev.fixed_costs as previous_fixed_costs,
        cur.fits_formula and coalesce(prev.fits_formula, true) as is_formula_exact,
        cast(prev.incoming_contacts as {{ membrana.type_double() }}) as c0,
        cast(cur.incoming_contacts as {{ membrana.type_double() }}) as c1,
        {# a factor a month cannot measure (0 / 0) takes the other month's value: it changed nothing #}
        coalesce(prev.conversion, cur.conversion, 0) as k0,
        coalesce(cur.conversion, prev.conversion, 0) as k1,
        coalesce(prev.average_check, cur.average_check, 0) as a0,
        coalesce(cur.average_check, prev.average_check, 0) as a1,
        coalesce(prev.purchases_per_client, cur.purchases_per_client, 0) as p0,
        coalesce(cur.purchases_per_client, prev.purchases_per_client, 0) as p1,
        cast(prev.gross_margin as {{ membrana.type_double() }}) as m0,
        cast(cur.gross_margin as {{ membrana.type_double() }}) as m1
    from factors as cur
    left join factors as prev
        on cur.channel = prev.channel
        and cast({{ dbt.dateadd('month', -1, 'cur.month') }} as date) = prev.month
),

final as (
    select
        month,
        channel,
        cast(incoming_contacts as {{ dbt.type_bigint() }}) as incoming_contacts,
        cast(clients as {{ dbt.type_bigint() }}) as clients,
        cast(deals_won as {{ dbt.type_bigint() }}) as deals_won,
        cast(revenue as {{ dbt.type_numeric() }}) as revenue,
        conversion,
        average_check,
        purchases_per_client,
        cast(gross_margin as {{ dbt.type_numeric() }}) as gross_margin,
        gross_profit,
        cast(fixed_costs as {{ dbt.type_numeric() }}) as fixed_costs,
        profit,
        cast(profit - previous_profit as {{ dbt.type_numeric() }}) as profit_change,
        case when not has_previous then null when is_formula_exact
            then (c1 - c0) * k0 * a0 * p0 * m0 else 0 end as contacts_effect,
        case when not has_previous then null when is_formula_exact
            then c1 * (k1 - k0) * a0 * p0 * m0 else 0 end as conversion_effect,
        case when not has_previous then null when is_formula_exact
            then c1 * k1 * (a1 - a0) * p0 * m0 else 0 end as average_check_effect,
        case when not has_previous then null when is_formula_exact
            then c1 * k1 * a1 * (p1 - p0) * m0 else 0 end as purchases_effect,
        case when not has_previous then null when is_formula_exact
            then c1 * k1 * a1 * p1 * (m1 - m0) else 0 end as margin_effect,
        cast(previous_fixed_costs - fixed_costs as {{ membrana.type_double() }}) as fixed_costs_effect,
        case when not has_previous then null when is_formula_exact
            then 0 else cast(gross_profit - previous_gross_profit as {{ membrana.type_double() }}) end as outside_formula_effect,
        is_formula_exact
    from paired
)

select * from final
