{# lead_qualification counts each fixed lead once, in the month and channel kpi_monthly counts it:
   its leads equal kpi_monthly.fixed_leads for every month and channel. Returns what differs. #}
with

qualified as (
    select month, channel, leads from {{ ref('lead_qualification') }}
),

kpi as (
    select month, channel, fixed_leads from {{ ref('kpi_monthly') }} where fixed_leads > 0
)

select coalesce(kpi.month, qualified.month) as month, coalesce(kpi.channel, qualified.channel) as channel,
    kpi.fixed_leads, qualified.leads
from kpi
full outer join qualified on kpi.month = qualified.month and kpi.channel = qualified.channel
where coalesce(kpi.fixed_leads, 0) <> coalesce(qualified.leads, 0)
