{# One row per lead: the latest usable version, the channel of its own source/medium/campaign
   (used when no contact links to it), the client key hashed. #}
{# Incremental on DuckDB (dbt_project.yml): a night recomputes only the keys with new versions and
   replaces them by key (latest_usable_version). #}
{{ config(unique_key='lead_id') }}
with

latest_channelled as (
    {{ latest_channelled_version(ref('base_crm__leads'), 'lead_id', source('raw', 'leads')) }}
),

final as (
    select
        -- ids
        lead_id,
        operator_id,
        manager_id,
        {{ hash_personal_data(normalize_client_key('client_key', 'client_key_digits')) }} as client_key_hash,
        -- text
        lead_status,
        source,
        medium,
        campaign,
        channel as own_channel,
        -- timestamps
        created_at,
        cast(created_at as date) as created_date,
        updated_at,
        -- lineage
        source_file,
        source_line,
        loaded_at
    from latest_channelled
)

select * from final
