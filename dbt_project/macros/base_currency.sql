{# The company's base currency: that of the latest capacity.csv row. Money in marts is in it. #}
{% macro base_currency() -%}
    (
        select max(base_currency) from {{ ref('stg_config__capacity') }}
        where effective_from = (select max(effective_from) from {{ ref('stg_config__capacity') }})
    )
{%- endmacro %}
