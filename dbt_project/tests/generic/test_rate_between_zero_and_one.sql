{# A pass rate (share of a stage that reaches the next) lies in [0, 1]. NULL is allowed: it is what a
   zero denominator gives (CONTRACT.md). #}
{% test rate_between_zero_and_one(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0 or {{ column_name }} > 1

{% endtest %}
