{# A later membrane never passes more than an earlier one: fails on every row where the column
   exceeds the other column of the same row (NULL on either side passes). #}
{% test column_not_greater_than(model, column_name, other_column) %}

select {{ column_name }}, {{ other_column }}
from {{ model }}
where {{ column_name }} > {{ other_column }}

{% endtest %}
