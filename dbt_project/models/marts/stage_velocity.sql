{# One row per month and channel of kpi_monthly: how fast the leads created in the month moved
   through the funnel, in days from their first contact (the lead's creation when no contact links
   to it) to fixation, to the first booked meeting, to the first held meeting and to the first won
   deal (median and 90th percentile over the leads that reached the stage), and the month's cost per
   held meeting (a period ratio, as in kpi_monthly). Percentiles are engine-specific: see the
   continuous_percentile macro. #}
with

kpi as (
    select month, channel, acquisition_cost, meetings_held from {{ ref('kpi_monthly') }}
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

{# days as fractions: fixation takes minutes, so whole days would all be 0 #}
durations as (
    select
        month,
        channel,
        {% for stage, column in [('fixation', 'created_at'), ('booking', 'first_meeting_booked_at'),
                                 ('held_meeting', 'first_meeting_held_at'), ('won_deal', 'first_deal_won_at')] -%}
        cast({{ dbt.datediff('first_contact_at', column, 'second') }} as double) / 86400
            as days_to_{{ stage }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from leads
),

percentiles as (
    select
        month,
        channel,
        count(*) as fixed_leads,
        {% for stage in ['fixation', 'booking', 'held_meeting', 'won_deal'] -%}
        {{ continuous_percentile('days_to_' ~ stage, 0.5) }} as median_days_to_{{ stage }},
        {{ continuous_percentile('days_to_' ~ stage, 0.9) }} as p90_days_to_{{ stage }}{% if not loop.last %},{% endif %}
        {% endfor %}
    from durations
    group by month, channel
),

final as (
    select
        kpi.month,
        kpi.channel,
        cast(coalesce(percentiles.fixed_leads, 0) as {{ dbt.type_bigint() }}) as fixed_leads,
        {% for stage in ['fixation', 'booking', 'held_meeting', 'won_deal'] -%}
        cast(percentiles.median_days_to_{{ stage }} as double) as median_days_to_{{ stage }},
        cast(percentiles.p90_days_to_{{ stage }} as double) as p90_days_to_{{ stage }},
        {% endfor -%}
        cast(kpi.meetings_held as {{ dbt.type_bigint() }}) as meetings_held,
        cast(kpi.acquisition_cost as {{ dbt.type_numeric() }}) as acquisition_cost,
        {{ safe_divide('kpi.acquisition_cost', 'kpi.meetings_held') }} as cost_per_held_meeting
    from kpi
    left join percentiles on kpi.month = percentiles.month and kpi.channel = percentiles.channel
)

select * from final
