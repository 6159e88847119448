{# Exports overlap: keep one row per key, the latest updated_at (a missing one is the oldest);
   ties go to the later file, then the later line. No `qualify`, so it runs on every engine. #}
{% macro latest_version(relation, key_columns) -%}
    select * from (
        select
            versions.*,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by versions.updated_at desc nulls last,
                    versions.source_file desc, versions.source_line desc
            ) as version_rank
        from {{ relation }} as versions
    ) as ranked
    where version_rank = 1
{%- endmacro %}
