{# Every raw row that cannot be used, with the file, the line and the reason, so nothing is lost
   silently: rows that break a rule of their own, and money that has no exchange rate. #}
{% set row_checks = [
    ('contacts', 'base_crm__contacts'),
    ('leads', 'base_crm__leads'),
    ('meetings', 'base_crm__meetings'),
    ('deals', 'base_crm__deals'),
    ('ad_spend', 'base_marketing__ad_spend'),
    ('costs', 'base_marketing__costs'),
    ('fx_rates', 'base_marketing__fx_rates'),
] %}
with

broken_rows as (
    {% for entity, model in row_checks %}
    select '{{ entity }}' as entity, source_file, source_line as line_number, rejection_reason as reason, raw_record
    from {{ ref(model) }}
    where rejection_reason is not null
    {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

money_without_rate as (
    {# staging keeps no raw text of usable deals: the few without a rate take theirs from the raw layer #}
    select 'deals' as entity, deals.source_file, deals.source_line as line_number,
        'no exchange rate for ' || deals.currency_code || ' on or before ' || cast(deals.closed_date as {{ dbt.type_string() }})
            as reason,
        {{ raw_record(raw_export_columns('deals'), 'raw_deals.') }} as raw_record
    from {{ ref('int_deals_converted_to_base') }} as deals
    inner join {{ source('raw', 'deals') }} as raw_deals
        on deals.source_file = raw_deals.source_file and deals.source_line = raw_deals.source_line
    where deals.is_missing_rate
    union all
    select 'ad_spend', source_file, source_line,
        'no exchange rate for ' || currency_code || ' on or before ' || cast(spend_date as {{ dbt.type_string() }}),
        raw_record
    from {{ ref('int_ad_spend_converted_to_base') }}
    where is_missing_rate
    union all
    select distinct 'costs', source_file, source_line,
        'no exchange rate for ' || currency_code || ' on or before the period start',
        raw_record
    from {{ ref('int_costs_spread_by_day') }}
    where is_quarantined
)

select * from broken_rows
union all
select * from money_without_rate
