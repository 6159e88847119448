{# One row per key of `versions` (a base_crm__* table): its latest usable version (latest_version).
   On a nightly run (rebuilds_changes_only), only the keys with a version loaded after the last passed
   build (loaded_after), each recomputed from all of its versions; the model replaces them by key (delete+insert) and keys
   with nothing new keep their rows. A new version that is rejected or older than the staged one still
   recomputes its key, to the same row. #}
{% macro latest_usable_version(versions, key_column) -%}
    {%- set usable_versions -%}
        (
            select * from {{ versions }}
            where rejection_reason is null
            {%- if rebuilds_changes_only() %}
                and {{ key_column }} in (
                    select {{ key_column }} from {{ versions }}
                    where loaded_at > {{ loaded_after() }}
                )
            {%- endif %}
        )
    {%- endset -%}
    {{ latest_version(usable_versions, [key_column]) }}
{%- endmacro %}

{# latest_usable_version with its channel by the rules (with_channel) and its client key's digits
   (normalize_client_key reads them four times): what stg_crm__contacts and stg_crm__leads share.
   A full build matches channels on the distinct keys of `raw_relation` (the same keys, without
   computing the latest versions twice); a nightly run on those of its few recomputed rows. #}
{% macro latest_channelled_version(versions, key_column, raw_relation) -%}
    with latest as (
        {{ latest_usable_version(versions, key_column) }}
    ),

    channelled as (
        {{ with_channel('latest', 'latest' if rebuilds_changes_only() else raw_relation) }}
    )

    select channelled.*, {{ client_key_digits('client_key') }} as client_key_digits
    from channelled
{%- endmacro %}
