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

{#- Spark inlines every reference to a CTE, so each different use of funnel_daily (365 partition files
    there) is a pass over its files of its own. Hence both grains summed in one pass, the membranes as
    rows of the same periods (not a union branch each, each summing its own columns), the trailing
    history as a window over the ranked periods (not a join back to them) and the last day from the
    channels: three passes instead of thirteen (the alerts took 25 s of the parity test's Spark
    build), the same rows on every engine. -#}
with

funnel_daily as (
    select * from {{ ref('funnel_daily') }}
),

grains as (
    select grains.period_grain from (values {% for grain in grains %}('{{ grain }}'){% if not loop.last %}, {% endif %}{% endfor %})
        as grains (period_grain)
),

sums as (
    select
        grains.period_grain,
        case
            {%- for grain in grains %}
            when grains.period_grain = '{{ grain }}' then cast({{ dbt.date_trunc(grain, 'funnel_daily.date') }} as date)
            {%- endfor %}
        end as period_start,
        funnel_daily.channel,
        {{ sum_each(funnel_counts()) }}
    from funnel_daily
    cross join grains
    group by 1, 2, 3
),

{# every channel gets every period of its grain, so a silent period counts as one of the trailing periods #}
periods as (
    select distinct period_grain, period_start from sums
),

{# each channel's last day with a row: their latest is funnel_daily's last day, which ends the complete periods #}
channels as (
    select channel, max(date) as last_date from funnel_daily group by channel
),

period_channels as (
    select
        periods.period_grain,
        periods.period_start,
        case
            when periods.period_grain = 'week'
                then cast({{ dbt.dateadd('day', 6, 'periods.period_start') }} as date)
            else cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'periods.period_start')) }} as date)
        end as period_end,
        channels.channel,
        max(channels.last_date) over () as last_date,
        {% for column in funnel_counts() -%}
        coalesce(sums.{{ column }}, 0) as {{ column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from periods
    cross join channels
    left join sums
        on periods.period_grain = sums.period_grain
        and periods.period_start = sums.period_start
        and channels.channel = sums.channel
),

membranes as (
    select membranes.membrane, membranes.better_when from (values
        {%- for membrane in membranes %}
        ('{{ membrane.name }}', '{{ membrane.better_when }}'){% if not loop.last %},{% endif %}
        {%- endfor %}
    ) as membranes (membrane, better_when)
),

membrane_periods as (
    select
        period_channels.period_grain,
        period_channels.period_start,
        period_channels.period_end,
        period_channels.channel,
        membranes.membrane,
        membranes.better_when,
        case membranes.membrane
            {%- for membrane in membranes %}
            when '{{ membrane.name }}' then {{ membrane.numerator }}
            {%- endfor %}
        end as numerator,
        case membranes.membrane
            {%- for membrane in membranes %}
            when '{{ membrane.name }}' then {{ membrane.denominator }}
            {%- endfor %}
        end as denominator
    from period_channels
    cross join membranes
    {# complete periods only: those that end by funnel_daily's last day #}
    where period_channels.period_end <= period_channels.last_date
),

{# periods_back 1 is the latest complete period; its history the up to `drift_history_periods` before it #}
ranked as (
    select
        membrane_periods.*,
        row_number() over (
            partition by period_grain, channel, membrane order by period_start desc
        ) as periods_back,
        {% for measure, column in [('count', '*'), ('sum', 'numerator'), ('sum', 'denominator')] -%}
        {{ measure }}({{ column }}) over (
            partition by period_grain, channel, membrane order by period_start desc
            rows between 1 following and {{ history_periods }} following
        ) as history_{{ 'periods' if column == '*' else column }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from membrane_periods
),

latest as (
    select
        period_grain,
        period_start,
        period_end,
        channel,
        membrane,
        better_when,
        numerator,
        denominator,
        history_periods,
        coalesce(history_numerator, 0) as history_numerator,
        coalesce(history_denominator, 0) as history_denominator,
        {{ safe_divide('numerator', 'denominator') }} as rate,
        {{ safe_divide('ranked.history_numerator', 'ranked.history_denominator') }} as center_rate
    from ranked
    where periods_back = 1
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
