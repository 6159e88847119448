{# One row per meeting: the latest usable version. #}
with

usable_versions as (
    select * from {{ ref('base_crm__meetings') }}
    where rejection_reason is null
),

latest as (
    {{ latest_version('usable_versions', ['meeting_id']) }}
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
