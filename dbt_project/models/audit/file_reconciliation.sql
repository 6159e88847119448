{# Every raw row of every landing file ends in exactly one place: staged (the version that counts),
   quarantined (with its reason) or superseded (an older or duplicate version of a staged record).
   One row per file with each count, each computed from its own model, so a row lost or counted
   twice anywhere between raw and staging shows as a file whose counts do not add up. The
   orchestrator fails the run on such a file (orchestration/build/reconciliation.py). #}
{% set raw_entities = ['contacts', 'leads', 'meetings', 'deals', 'ad_spend', 'costs', 'fx_rates'] %}
{% set versioned = [
    ('contacts', 'base_crm__contacts', 'stg_crm__contacts', ['contact_id']),
    ('leads', 'base_crm__leads', 'stg_crm__leads', ['lead_id']),
    ('meetings', 'base_crm__meetings', 'stg_crm__meetings', ['meeting_id']),
    ('deals', 'base_crm__deals', 'stg_crm__deals', ['deal_id']),
    ('fx_rates', 'base_marketing__fx_rates', 'stg_marketing__fx_rates', ['currency_code', 'rate_date']),
] %}
with

rows_read as (
    {% for entity in raw_entities %}
    select '{{ entity }}' as entity, source_file, count(*) as row_count
    from {{ source('raw', entity) }}
    group by source_file
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

rows_staged as (
    select 'contacts' as entity, source_file, count(*) as row_count
    from {{ ref('stg_crm__contacts') }} group by source_file
    union all
    select 'leads', source_file, count(*) from {{ ref('stg_crm__leads') }} group by source_file
    union all
    select 'meetings', source_file, count(*) from {{ ref('stg_crm__meetings') }} group by source_file
    union all
    select 'deals', source_file, count(*) from {{ ref('int_deals_converted_to_base') }}
    where not is_missing_rate group by source_file
    union all
    select 'ad_spend', source_file, count(*) from {{ ref('int_ad_spend_converted_to_base') }}
    where not is_missing_rate group by source_file
    union all
    select 'costs', costs.source_file, count(*) from {{ ref('stg_marketing__costs') }} as costs
    where not exists (
        select 1 from {{ ref('int_costs_spread_by_day') }} as cost_days
        where cost_days.is_quarantined
            and cost_days.source_file = costs.source_file and cost_days.source_line = costs.source_line
    )
    group by costs.source_file
    union all
    select 'fx_rates', source_file, count(*) from {{ ref('stg_marketing__fx_rates') }} group by source_file
),

rows_quarantined as (
    select entity, source_file, count(*) as row_count
    from {{ ref('quarantine') }}
    group by entity, source_file
),

rows_superseded as (
    {% for entity, base_model, staged_model, keys in versioned %}
    select '{{ entity }}' as entity, versions.source_file, count(*) as row_count
    from {{ ref(base_model) }} as versions
    inner join {{ ref(staged_model) }} as winners
        on {% for key in keys %}versions.{{ key }} = winners.{{ key }}{% if not loop.last %} and {% endif %}{% endfor %}
    where versions.rejection_reason is null
        and not (versions.source_file = winners.source_file and versions.source_line = winners.source_line)
    group by versions.source_file
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        rows_read.entity,
        rows_read.source_file,
        rows_read.row_count as rows_read,
        coalesce(rows_staged.row_count, 0) as rows_staged,
        coalesce(rows_quarantined.row_count, 0) as rows_quarantined,
        coalesce(rows_superseded.row_count, 0) as rows_superseded
    from rows_read
    left join rows_staged
        on rows_read.entity = rows_staged.entity and rows_read.source_file = rows_staged.source_file
    left join rows_quarantined
        on rows_read.entity = rows_quarantined.entity and rows_read.source_file = rows_quarantined.source_file
    left join rows_superseded
        on rows_read.entity = rows_superseded.entity and rows_read.source_file = rows_superseded.source_file
)

select
    final.*,
    rows_read = rows_staged + rows_quarantined + rows_superseded as is_reconciled
from final
