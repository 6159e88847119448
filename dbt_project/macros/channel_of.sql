{# Assigns a channel to every distinct (source, medium, campaign) of `keys_relation` by the rules of
   config/channel_rules.csv: SQL LIKE patterns, case-insensitive, an empty pattern matches
   anything, the lowest priority number wins, nothing matched -> 'unknown'. Matching distinct keys
   (a few thousand) instead of rows keeps the pattern join small at any data size. #}
{% macro channel_of(keys_relation) -%}
    select
        source_key,
        medium_key,
        campaign_key,
        coalesce(channel, 'unknown') as channel
    from (
        select
            keys.source_key,
            keys.medium_key,
            keys.campaign_key,
            rules.channel,
            row_number() over (
                partition by keys.source_key, keys.medium_key, keys.campaign_key
                order by rules.priority nulls last, rules.channel
            ) as rule_rank
        from {{ keys_relation }} as keys
        left join {{ ref('stg_config__channel_rules') }} as rules
            on (rules.source_pattern = '' or keys.source_key like rules.source_pattern)
            and (rules.medium_pattern = '' or keys.medium_key like rules.medium_pattern)
            and (rules.campaign_pattern = '' or keys.campaign_key like rules.campaign_pattern)
    ) as matched
    where rule_rank = 1
{%- endmacro %}

{# The lookup key of a source/medium/campaign text: lowercased, trimmed, '' when missing. #}
{% macro channel_key(expression) -%}
    coalesce(lower(trim({{ expression }})), '')
{%- endmacro %}

{# Every row of `relation` (which has source, medium and campaign columns) with its `channel` by the
   rules of channel_of, matched on the distinct keys of `keys_relation` (default: `relation` itself). A
   raw source table gives the same keys (channel_key trims, as staging does) and spares the engine
   computing `relation` twice. #}
{% macro with_channel(relation, keys_relation=none) -%}
    {%- set keys -%}
        {{ channel_key('source') }} as source_key,
        {{ channel_key('medium') }} as medium_key,
        {{ channel_key('campaign') }} as campaign_key
    {%- endset -%}
    select channelled_rows.*, channels.channel
    from {{ relation }} as channelled_rows
    inner join (
        {{ channel_of('(select distinct ' ~ keys ~ ' from ' ~ (keys_relation or relation) ~ ')') }}
    ) as channels
        on {{ channel_key('channelled_rows.source') }} = channels.source_key
        and {{ channel_key('channelled_rows.medium') }} = channels.medium_key
        and {{ channel_key('channelled_rows.campaign') }} = channels.campaign_key
{%- endmacro %}
