{# Every pass rate of a mart (the share of a stage that reaches the next) lies in [0, 1]: one query per
   mart for all its rate columns, not one test node per column. NULL is allowed: it is what a zero
   denominator gives (CONTRACT.md). Returns each offending row with the first rate out of range. #}
{% test pass_rates_between_zero_and_one(model, columns) %}

select *
from (
    select
        case
            {%- for column in columns %}
            when {{ column }} < 0 or {{ column }} > 1 then '{{ column }}'
            {%- endfor %}
        end as rate_out_of_range,
        {{ columns | join(', ') }}
    from {{ model }}
) as rates
where rate_out_of_range is not null

{% endtest %}
