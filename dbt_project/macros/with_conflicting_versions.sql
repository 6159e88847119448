{# Every row of `relation` (typed versions of a CRM entity with row_rejection_reason, updated_at,
   source_file, source_line and the raw_<column> text of `columns`): its `typed_columns`, its final
   rejection_reason and, for rejected rows only, raw_record (the raw_<column> text is not kept).
   A usable row is also rejected when another usable line of the same file has the same id and the
   same updated_at but different values: the export contradicts itself and no version can be chosen
   (the contract's "later file wins" tie rule only orders different files). Such repeats are rare, so
   the raw records are compared only for them, not built for every row.
   `relation` is read three times and DuckDB types the rows anew for each read, so no read filters on
   row_rejection_reason: a filter pushed down to the typing repeats its try_casts for every row. The
   repeats are found on the version key alone; only their usable rows are compared, inside the
   aggregates (one usable row, or none, is no conflict). #}
{% macro with_conflicting_versions(relation, key_column, columns, typed_columns) -%}
    {%- set version_key = [key_column, 'updated_at', 'source_file'] -%}
    {%- set if_usable = 'case when same_version.row_rejection_reason is null then ' -%}
    {%- set conflicts -%}
        select
            {% for column in version_key %}same_version.{{ column }}, {% endfor %}
            '{{ key_column }} ' || same_version.{{ key_column }} || ' has different values at the same updated_at on lines '
                || cast(min({{ if_usable }}same_version.source_line end) as {{ dbt.type_string() }}) || ' and '
                || cast(max({{ if_usable }}same_version.source_line end) as {{ dbt.type_string() }})
                || ' of this file: keep one version or give the newer one a later updated_at' as conflict_reason
        from {{ relation }} as same_version
        inner join (
            select {{ version_key | join(', ') }}
            from {{ relation }}
            group by {{ version_key | join(', ') }}
            having count(*) > 1
        ) as repeated
            on {% for column in version_key %}same_version.{{ column }} = repeated.{{ column }}{% if not loop.last %} and {% endif %}{% endfor %}
        group by {% for column in version_key %}same_version.{{ column }}{% if not loop.last %}, {% endif %}{% endfor %}
        having min({{ if_usable }}{{ raw_record(columns, 'same_version.raw_') }} end)
            <> max({{ if_usable }}{{ raw_record(columns, 'same_version.raw_') }} end)
    {%- endset -%}
    select
        {% for column in typed_columns %}checked_rows.{{ column }},
        {% endfor -%}
        checked_rows.row_rejection_reason,
        coalesce(checked_rows.row_rejection_reason, conflicts.conflict_reason) as rejection_reason,
        case
            when checked_rows.row_rejection_reason is not null or conflicts.conflict_reason is not null
                then {{ raw_record(columns, 'checked_rows.raw_') }}
        end as raw_record
    from {{ relation }} as checked_rows
    left join ({{ conflicts }}) as conflicts
        on checked_rows.row_rejection_reason is null
        {% for column in version_key %}and checked_rows.{{ column }} = conflicts.{{ column }}
        {% endfor %}
{%- endmacro %}
