{# One row per day from start_date to end_date inclusive, as `date_day`, for every row of
   `relation_sql` (a subquery with the two date columns). Engines generate series differently. #}
{% macro expand_to_days(relation_sql, start_column, end_column) -%}
    {{ return(adapter.dispatch('expand_to_days', 'membrana')(relation_sql, start_column, end_column)) }}
{%- endmacro %}

{% macro default__expand_to_days(relation_sql, start_column, end_column) -%}
    select spans.*, days.date_day
    from ({{ relation_sql }}) as spans
    lateral view explode(sequence({{ start_column }}, {{ end_column }}, interval 1 day)) days as date_day
{%- endmacro %}

{% macro duckdb__expand_to_days(relation_sql, start_column, end_column) -%}
    select spans.*, cast(days.date_day as date) as date_day
    from ({{ relation_sql }}) as spans
    cross join lateral (
        select unnest(generate_series({{ start_column }}, {{ end_column }}, interval 1 day)) as date_day
    ) as days
{%- endmacro %}
