{# One row per month and channel of kpi_monthly: how fast the leads created in the month moved
   through the funnel, in days from their first contact (the lead's creation when no contact links
   to it) to fixation, to the first booked meeting, to the first held meeting and to the first won
   deal (median and 90th percentile over the leads that reached the stage), and the month's cost per
   held meeting (a period ratio, as in kpi_monthly). #}
{# Incremental on DuckDB (dbt_project.yml): a night rebuilds the months of the days funnel_daily rebuilds
   (int_funnel_days_to_rebuild holds every day, old and new, of each rebuilt lead's creation, so a
   lead's month is among them, and every day kpi_monthly's figures can have changed on). The pre-hook
   empties those months first: a month's channel can lose its last lead. #}
{{
    config(
        incremental_strategy='append',
        pre_hook="{{ membrana.empty_rows_to_rebuild(this, 'month', membrana.months_to_rebuild()) }}",
    )
}}
-- depends_on: {{ ref('int_funnel_days_to_rebuild') }}
{%- set only_rebuilt_months = membrana.in_rebuild_set('month', membrana.months_to_rebuild()) %}
{% set stages = ['fixation', 'booking', 'held_meeting', 'won_deal'] %}
{% set percentiles = [('median', 0.5), ('p90', 0.9)] %}
with

kpi as (
    select month, channel, acquisition_cost, meetings_held from {{ ref('kpi_monthly') }}
    where {{ only_rebuilt_months }}
),

leads as (
    select
        cast({{ dbt.date_trunc('month', 'created_date') }} as date) as month,
        channel,
        coalesce(first_contact_at, created_at) as first_contact_at,
        created_at,
        first_meeting_booked_at,
        first_meeting_held_at,
        first_deal_won_at
    from {{ ref('int_leads_joined_to_channels') }}
),

rebuilt_leads as (
    select * from leads where {{ only_rebuilt_months }}
),

{# days as fractions: fixation takes minutes, so whole days would all be 0 #}
durations as (
    select
        month,
        channel,
        {% for stage, column in [('fixation', 'created_at'), ('booking', 'first_meeting_booked_at'),
                                 ('held_meeting', 'first_meeting_held_at'), ('won_deal', 'first_deal_won_at')] -%}
        cast({{ dbt.datediff('first_contact_at', column, 'second') }} as {{ membrana.type_double() }}) / 86400
            as days_to_{{ stage }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from rebuilt_leads
),

lead_counts as (
    select month, channel, count(*) as fixed_leads
    from durations
    group by month, channel
),

{# Percentiles by sorting (a window) instead of a percentile aggregate: DuckDB's quantile keeps every
   value of a group in memory and cannot spill (it ran out of memory at 10 M contacts); a sort spills.
   One long list of (stage, days) so that a single sort serves every stage. #}
stage_days as (
    {% for stage in stages %}
    select month, channel, '{{ stage }}' as stage, days_to_{{ stage }} as days
    from durations
    where days_to_{{ stage }} is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

ranked as (
    select
        month,
        channel,
        stage,
        days,
        row_number() over (partition by month, channel, stage order by days) - 1 as position,
        cast(count(*) over (partition by month, channel, stage) - 1 as {{ membrana.type_double() }}) as last_position
    from stage_days
),

{# As percentile_cont: the p-th percentile lies at position p × (n - 1), interpolated linearly between
   the values at its floor and its ceiling. #}
bounds as (
    select
        month,
        channel,
        stage,
        {% for name, fraction in percentiles -%}
        max(case when position = floor(last_position * {{ fraction }}) then days end) as {{ name }}_low,
        max(case when position = ceil(last_position * {{ fraction }}) then days end) as {{ name }}_high,
        max(last_position * {{ fraction }} - floor(last_position * {{ fraction }})) as {{ name }}_weight
        {%- if not loop.last %},{% endif %}
        {% endfor %}
    from ranked
    group by month, channel, stage
),

stage_percentiles as (
    select
        month,
        channel,
        {% for stage in stages -%}
        {%- set outer_last = loop.last -%}
        {% for name, fraction in percentiles -%}
        max(case when stage = '{{ stage }}' then {{ name }}_low + ({{ name }}_high - {{ name }}_low) * {{ name }}_weight end)
            as {{ name }}_days_to_{{ stage }}{% if not (outer_last and loop.last) %},{% endif %}
        {% endfor %}
        {%- endfor %}
    from bounds
    group by month, channel
),

final as (
    select
        kpi.month,
        kpi.channel,
        cast(coalesce(lead_counts.fixed_leads, 0) as {{ dbt.type_bigint() }}) as fixed_leads,
        {% for stage in stages -%}
        cast(stage_percentiles.median_days_to_{{ stage }} as {{ membrana.type_double() }}) as median_days_to_{{ stage }},
        cast(stage_percentiles.p90_days_to_{{ stage }} as {{ membrana.type_double() }}) as p90_days_to_{{ stage }},
        {% endfor -%}
        cast(kpi.meetings_held as {{ dbt.type_bigint() }}) as meetings_held,
        cast(kpi.acquisition_cost as {{ dbt.type_numeric() }}) as acquisition_cost,
        {{ safe_divide('kpi.acquisition_cost', 'kpi.meetings_held') }} as cost_per_held_meeting
    from kpi
    left join lead_counts on kpi.month = lead_counts.month and kpi.channel = lead_counts.channel
    left join stage_percentiles
        on kpi.month = stage_percentiles.month and kpi.channel = stage_percentiles.channel
)

select * from final
