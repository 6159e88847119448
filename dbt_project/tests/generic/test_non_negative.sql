{# Counts and money are never negative. NULL is allowed (pair with not_null where it is not). #}
{% test non_negative(model, column_name) %}

select {{ column_name }}
from {{ model }}
where {{ column_name }} < 0

{% endtest %}
