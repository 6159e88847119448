{# One row per deal: the latest usable version, amount still in its own currency (empty = base),
   the client key hashed. Conversion to the base currency is in int_deals_converted_to_base. #}
{# Incremental on DuckDB (dbt_project.yml): a night recomputes only the keys with new versions and
   replaces them by key (latest_usable_version). #}
{{ config(unique_key='deal_id') }}
with

latest as (
    {{ latest_usable_version(ref('base_crm__deals'), 'deal_id') }}
),

{# the client key's digits once: normalize_client_key reads them four times #}
with_key_digits as (
    select latest.*, {{ client_key_digits('client_key') }} as client_key_digits
    from latest
),

final as (
    select
        -- ids
        deal_id,
        lead_id,
        {{ hash_personal_data(normalize_client_key('client_key', 'client_key_digits')) }} as client_key_hash,
        -- text
        deal_status,
        coalesce(currency_code, {{ base_currency() }}) as currency_code,
        -- numerics
        amount,
        -- booleans
        deal_status = 'won' as is_won,
        -- timestamps
        created_at,
        closed_at,
        cast(closed_at as date) as closed_date,
        updated_at,
        -- lineage
        source_file,
        source_line,
        loaded_at
    from with_key_digits
)

select * from final
