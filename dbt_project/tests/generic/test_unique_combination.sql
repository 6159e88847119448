{# The combination of `columns` is unique: the model's grain holds (dbt_utils.unique_combination_of_columns,
   which cannot be installed here). Rows with a NULL in any column count too, as their own group. #}
{% test unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as duplicate_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
