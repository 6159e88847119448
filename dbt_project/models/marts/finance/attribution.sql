{# One row per month (of the deal's closing) and channel: the won deals and their revenue credited to
   channels by four models side by side. The touches of a deal are its client's incoming contacts
   (int_client_touches) after the client's previous purchase and up to the deal's closing. A deal
   with no such touch (a returning client calling the manager directly) gives all its credit to its
   own channel, so that every model credits exactly the deals and revenue of kpi_monthly.
   - first touch: all to the first touch; last touch: all to the last;
   - linear: 1/n to each of n touches;
   - position-based (40/20/40): 40 % to the first, 40 % to the last, 20 % shared by those between;
     one touch takes all, two take half each.
   Credited revenue is money (dbt.type_numeric()): each touch's share is fixed at 12 decimals, then
   summed exactly, so the sum does not depend on the order of the rows (a sum of doubles did: a nightly
   build and a full one differed in the 6th decimal at 10 M contacts). decimal(38, 12) is spelled
   out: it is the same type on DuckDB, Spark and PostgreSQL. #}
{% set exact_credit = 'decimal(38, 12)' %}
with

deals as (
    select * from {{ ref('int_won_deals_joined_to_clients') }}
),

touches as (
    select * from {{ ref('int_client_touches') }}
),

deal_touches as (
    select
        deals.deal_id,
        touches.channel,
        row_number() over (
            partition by deals.deal_id order by touches.touched_at, touches.touch_id
        ) as touch_position,
        count(*) over (partition by deals.deal_id) as touch_count
    from deals
    inner join touches
        on deals.client_id = touches.client_id
        and deals.closed_at >= touches.touched_at
        and (deals.previous_purchase_closed_at is null
             or deals.previous_purchase_closed_at < touches.touched_at)
),

{# a deal without touches is its own single touch, on its own channel #}
credited_touches as (
    select deal_id, channel, touch_position, touch_count from deal_touches
    union all
    select deals.deal_id, deals.channel, 1 as touch_position, 1 as touch_count
    from deals
    where not exists (select 1 from deal_touches where deal_touches.deal_id = deals.deal_id)
),

credits as (
    select
        credited_touches.deal_id,
        credited_touches.channel,
        case when touch_position = 1 then 1.0 else 0.0 end as first_touch_credit,
        case when touch_position = touch_count then 1.0 else 0.0 end as last_touch_credit,
        1.0 / touch_count as linear_credit,
        case
            when touch_count = 1 then 1.0
            when touch_count = 2 then 0.5
            when touch_position = 1 or touch_position = touch_count then 0.4
            else 0.2 / (touch_count - 2)
        end as position_based_credit
    from credited_touches
),

credited as (
    select
        deals.closed_month as month,
        credits.channel,
        {% for model in ['first_touch', 'last_touch', 'linear', 'position_based'] -%}
        sum(cast(credits.{{ model }}_credit as {{ membrana.type_double() }})) as {{ model }}_deals,
        sum(cast(cast(credits.{{ model }}_credit as {{ membrana.type_double() }}) * deals.revenue
                 as {{ exact_credit }})) as {{ model }}_revenue{% if not loop.last %},{% endif %}
        {% endfor %}
    from credits
    inner join deals on credits.deal_id = deals.deal_id
    group by deals.closed_month, credits.channel
),

own_channel as (
    select closed_month as month, channel, count(*) as deals_won, sum(revenue) as revenue
    from deals
    group by closed_month, channel
),

months_channels as (
    select month, channel from credited
    union
    select month, channel from own_channel
),

final as (
    select
        months_channels.month,
        months_channels.channel,
        cast(coalesce(own_channel.deals_won, 0) as {{ dbt.type_bigint() }}) as deals_won,
        cast(coalesce(own_channel.revenue, 0) as {{ dbt.type_numeric() }}) as revenue,
        {% for model in ['first_touch', 'last_touch', 'linear', 'position_based'] -%}
        cast(coalesce(credited.{{ model }}_deals, 0) as {{ membrana.type_double() }}) as {{ model }}_deals,
        cast(coalesce(credited.{{ model }}_revenue, 0) as {{ dbt.type_numeric() }})
            as {{ model }}_revenue{% if not loop.last %},{% endif %}
        {% endfor %}
    from months_channels
    left join credited
        on months_channels.month = credited.month and months_channels.channel = credited.channel
    left join own_channel
        on months_channels.month = own_channel.month and months_channels.channel = own_channel.channel
)

select * from final
