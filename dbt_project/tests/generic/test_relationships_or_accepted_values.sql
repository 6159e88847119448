{# Like dbt's `relationships`, but values listed in `accepted_values` need no parent row: every
   non-NULL value of the column exists in `to`.`field` or is one of `accepted_values` (e.g. the
   catch-all channel 'unknown'). Returns one row per offending value with its row count. #}
{% test relationships_or_accepted_values(model, column_name, to, field, accepted_values=[]) %}

select
    child.{{ column_name }} as unmatched_value,
    count(*) as unmatched_rows
from {{ model }} as child
left join (select distinct {{ field }} as parent_value from {{ to }}) as parent
    on child.{{ column_name }} = parent.parent_value
where child.{{ column_name }} is not null
    and parent.parent_value is null
    {%- if accepted_values %}
    and child.{{ column_name }} not in (
        {%- for value in accepted_values %}'{{ value | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor -%}
    )
    {%- endif %}
group by child.{{ column_name }}

{% endtest %}
