{#- Membrane drift: each channel's stage pass rates in its last complete week and month, against control
    limits from the same channel's trailing periods (a p-chart: centre = the pooled rate of up to
    `drift_history_periods` earlier periods, limits = centre ± 3 standard errors at the period's own
    volume). A membrane that works worse or better than its own history is a signal to find out why.
    Assessed only with enough volume to mean something; otherwise `not_enough_volume`. -#}
{%- set membranes = [
    {'name': 'fixation_rate', 'numerator': 'fixed_leads', 'denominator': 'incoming_contacts', 'better_when': 'higher'},
    {'name': 'booking_rate', 'numerator': 'meetings_booked', 'denominator': 'incoming_contacts', 'better_when': 'higher'},
    {'name': 'no_show_rate', 'numerator': 'no_shows', 'denominator': 'meetings_booked', 'better_when': 'lower'},
    {'name': 'closing_rate', 'numerator': 'deals_won - deals_without_lead', 'denominator': 'meetings_held',
     'better_when': 'higher'},
] -%}
{%- set grains = ['week', 'month'] -%}
{%- set history_periods = var('drift_history_periods', 12) -%}
{%- set min_history_periods = var('drift_min_history_periods', 6) -%}
{%- set min_volume = var('drift_min_volume', 30) -%}

with

funnel_daily as (
    select * from {{ ref('funnel_daily') }}
),

last_day as (
    select max(date) as last_date from funnel_daily
),

channels as (
    select distinct channel from funnel_daily
),

{% for grain in grains %}
sums_by_{{ grain }} as (
    select
        cast({{ dbt.date_trunc(grain, 'date') }} as date) as period_start,
        channel,
        {{ sum_each(funnel_counts()) }}
    from funnel_daily
    group by 1, 2
),

{# every channel gets every period, so a silent period counts as one of the trailing periods #}
periods_by_{{ grain }} as (
    select distinct period_start from sums_by_{{ grain }}
),

complete_{{ grain }}s as (
    select
        '{{ grain }}' as period_grain,
        periods.period_start,
        {%- if grain == 'week' %}
        cast({{ dbt.dateadd('day', 6, 'periods.period_start') }} as date) as period_end,
        {%- else %}
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'periods.period_start')) }} as date) as period_end,
        {%- endif %}
        channels.channel,
        {% for column in funnel_counts() -%}
        coalesce(sums.{{ column }}, 0) as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from periods_by_{{ grain }} as periods
    cross join channels
    left join sums_by_{{ grain }} as sums
        on periods.period_start = sums.period_start
        and channels.channel = sums.channel
),

{% endfor %}

complete_periods as (
    {% for grain in grains %}
    select periods.*
    from complete_{{ grain }}s as periods
    cross join last_day
    where periods.period_end <= last_day.last_date
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

membrane_periods as (
    {% for membrane in membranes %}
    select
        period_grain,
        period_start,
        period_end,
        channel,
        '{{ membrane.name }}' as membrane,
        '{{ membrane.better_when }}' as better_when,
        {{ membrane.numerator }} as numerator,
        {{ membrane.denominator }} as denominator
    from complete_periods
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

ranked as (
    select
        membrane_periods.*,
        row_number() over (
            partition by period_grain, channel, membrane order by period_start desc
        ) as periods_back
    from membrane_periods
),

history as (
    select
        period_grain,
        channel,
        membrane,
        count(*) as history_periods,
        sum(numerator) as history_numerator,
        sum(denominator) as history_denominator
    from ranked
    where periods_back between 2 and {{ history_periods + 1 }}
    group by period_grain, channel, membrane
),

latest as (
    select
        ranked.period_grain,
        ranked.period_start,
        ranked.period_end,
        ranked.channel,
        ranked.membrane,
        ranked.better_when,
        ranked.numerator,
        ranked.denominator,
        coalesce(history.history_periods, 0) as history_periods,
        coalesce(history.history_numerator, 0) as history_numerator,
        coalesce(history.history_denominator, 0) as history_denominator,
        {{ safe_divide('ranked.numerator', 'ranked.denominator') }} as rate,
        {{ safe_divide('history.history_numerator', 'history.history_denominator') }} as center_rate
    from ranked
    left join history
        on ranked.period_grain = history.period_grain
        and ranked.channel = history.channel
        and ranked.membrane = history.membrane
    where ranked.periods_back = 1
),

{# A pooled rate of 0 or 1 (or above 1: events counted on their own days) has no spread to test against. #}
limits as (
    select
        latest.*,
        coalesce(
            denominator >= {{ min_volume }}
            and history_periods >= {{ min_history_periods }}
            and history_denominator >= {{ min_volume }} * {{ min_history_periods }}
            and center_rate > 0 and center_rate < 1,
            false
        ) as is_assessable,
        case when center_rate > 0 and center_rate < 1 and denominator > 0
            then 3 * sqrt(center_rate * (1 - center_rate) / denominator)
        end as three_sigma
    from latest
),

final as (
    select
        period_grain,
        period_start,
        period_end,
        channel,
        membrane,
        better_when,
        numerator,
        denominator,
        rate,
        history_periods,
        history_denominator,
        center_rate,
        case when is_assessable then greatest(center_rate - three_sigma, 0) end as lower_limit,
        case when is_assessable then least(center_rate + three_sigma, 1) end as upper_limit,
        case
            when not is_assessable then 'not_enough_volume'
            when rate < center_rate - three_sigma
                then case when better_when = 'higher' then 'worse' else 'better' end
            when rate > center_rate + three_sigma
                then case when better_when = 'higher' then 'better' else 'worse' end
            else 'within_limits'
        end as alert_status
    from limits
)

select
    final.*,
    alert_status in ('worse', 'better') as is_alert
from final
