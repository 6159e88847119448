{# Every attribution model hands out each won deal exactly once: per month, the credited deals and
   revenue of each model sum to kpi_monthly's won deals and revenue. Credits are fractions in double
   precision, so they may differ by rounding far below a kopeck, never by a deal. Returns the months
   and models that disagree. #}
{% set models = ['first_touch', 'last_touch', 'linear', 'position_based'] %}
with

kpi as (
    select month, sum(deals_won) as deals_won, sum(revenue) as revenue
    from {{ ref('kpi_monthly') }}
    group by month
    having sum(deals_won) > 0
),

credited as (
    select
        month,
        {% for model in models -%}
        sum({{ model }}_deals) as {{ model }}_deals,
        sum({{ model }}_revenue) as {{ model }}_revenue{% if not loop.last %},{% endif %}
        {% endfor %}
    from {{ ref('attribution') }}
    group by month
),

compared as (
    {% for model in models -%}
    select
        coalesce(kpi.month, credited.month) as month,
        '{{ model }}' as attribution_model,
        kpi.deals_won as kpi_deals_won,
        credited.{{ model }}_deals as credited_deals,
        kpi.revenue as kpi_revenue,
        credited.{{ model }}_revenue as credited_revenue
    from kpi
    full outer join credited on kpi.month = credited.month
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select *
from compared
where kpi_deals_won is null
    or credited_deals is null
    or abs(cast(kpi_deals_won as double) - credited_deals) > 0.000001
    or abs(cast(kpi_revenue as double) - credited_revenue) > 0.001
