{# None of `columns` is NULL: one test, and one pass over the model, for all of a model's required columns
   instead of a not_null test per column (every test is a node of the night, with its own overhead: 92 of
   them cost about 3 s of a small company's night). A failing row names a column and how many of its rows
   are NULL; the failure count is the NULL rows, as not_null's would be. #}
{% test not_null_columns(model, columns) %}
{{ config(fail_calc = 'coalesce(sum(null_rows), 0)') }}

with nulls_by_column as (
    select
    {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)

{% for column in columns -%}
select '{{ column }}' as column_name, {{ column }} as null_rows
from nulls_by_column
where {{ column }} > 0
{% if not loop.last %}union all
{% endif %}
{%- endfor %}

{% endtest %}
