{# Turns values that hold "from a date until the next one" (exchange rates, fixation prices) into one
   row per day, so money joins them on equality instead of an as-of range join. Each value holds from
   its `date_column` to the day before the next value of the same `partition_columns`; the last one
   holds to the end of the calendar (int_calendar_days). #}
{% macro spans_to_days(relation, partition_columns, date_column) -%}
    {%- set partition_by = partition_columns | join(', ') -%}
    {%- set spans -%}
        select
            valued.*,
            coalesce(
                cast({{ dbt.dateadd('day', -1, 'next_date') }} as date),
                (select max(date_day) from {{ ref('int_calendar_days') }})
            ) as valid_to
        from (
            select
                {{ relation }}.*,
                lead({{ date_column }}) over (partition by {{ partition_by }} order by {{ date_column }}) as next_date
            from {{ relation }}
        ) as valued
    {%- endset -%}
    {{ expand_to_days(spans, date_column, 'valid_to') }}
{%- endmacro %}
