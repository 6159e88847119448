{# One row per meeting: the latest usable version. #}
{# Incremental on DuckDB (dbt_project.yml): a night recomputes only the keys with new versions and
   replaces them by key (latest_usable_version). #}
{{ config(unique_key='meeting_id') }}
with

latest as (
    {{ latest_usable_version(ref('base_crm__meetings'), 'meeting_id') }}
),

final as (
    select
        -- ids
        meeting_id,
        lead_id,
        manager_id,
        -- text
        meeting_status,
        -- booleans
        meeting_status = 'held' as is_held,
        meeting_status = 'no_show' as is_no_show,
        -- timestamps
        booked_at,
        cast(booked_at as date) as booked_date,
        scheduled_at,
        cast(scheduled_at as date) as scheduled_date,
        updated_at,
        -- lineage
        source_file,
        source_line,
        loaded_at
    from latest
)

select * from final
