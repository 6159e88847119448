{# One rate per currency and day: the latest usable version (a later file corrects an earlier one). #}
with

usable_versions as (
    select
        base_marketing__fx_rates.*,
        cast(null as {{ dbt.type_timestamp() }}) as updated_at
    from {{ ref('base_marketing__fx_rates') }}
    where rejection_reason is null
),

latest as (
    {{ latest_version('usable_versions', ['currency_code', 'rate_date']) }}
)

select
    currency_code,
    rate_date,
    rate_to_base,
    source_file,
    source_line
from latest
