{# One row per usable raw row of other acquisition costs (facts, summed). #}
select
    channel,
    cost_type,
    currency_code,
    amount,
    period_start,
    period_end,
    source_file,
    source_line,
    loaded_at,
    raw_record
from {{ ref('base_marketing__costs') }}
where rejection_reason is null
