{# The reason for quarantining a usable row when another usable line of the same file has the same id
   and the same updated_at but different values: the export contradicts itself and no version can be
   chosen (the contract's "later file wins" tie rule only orders different files). Needs the columns
   row_rejection_reason, updated_at, source_file, source_line and raw_record. #}
{% macro conflicting_version_reason(key_column) -%}
    {%- set same_version -%}
        partition by {{ key_column }}, updated_at, source_file, row_rejection_reason
    {%- endset -%}
    case
        when row_rejection_reason is null and updated_at is not null
            and min(raw_record) over ({{ same_version }}) <> max(raw_record) over ({{ same_version }})
            then '{{ key_column }} ' || {{ key_column }} || ' has different values at the same updated_at on lines '
                || cast(min(source_line) over ({{ same_version }}) as {{ dbt.type_string() }}) || ' and '
                || cast(max(source_line) over ({{ same_version }}) as {{ dbt.type_string() }})
                || ' of this file: keep one version or give the newer one a later updated_at'
    end
{%- endmacro %}
