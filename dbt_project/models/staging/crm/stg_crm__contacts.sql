{# One row per contact: the latest usable version, its channel by the rules, the client key hashed. #}
{# Incremental on DuckDB (dbt_project.yml): a night recomputes only the keys with new versions and
   replaces them by key (latest_usable_version). #}
{{ config(unique_key='contact_id') }}
with

latest_channelled as (
    {{ latest_channelled_version(ref('base_crm__contacts'), 'contact_id', source('raw', 'contacts')) }}
),

final as (
    select
        -- ids
        contact_id,
        lead_id,
        {{ hash_personal_data(normalize_client_key('client_key', 'client_key_digits')) }} as client_key_hash,
        -- text
        contact_type,
        source,
        medium,
        campaign,
        channel,
        -- timestamps
        received_at,
        cast(received_at as date) as received_date,
        updated_at,
        -- lineage
        source_file,
        source_line,
        loaded_at
    from latest_channelled
)

select * from final
