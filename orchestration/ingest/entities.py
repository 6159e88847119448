"""The canonical raw entities and config files of CONTRACT.md: their columns and which are required."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Entity:
    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    description: str


ENTITIES = {
    entity.name: entity
    for entity in (
        Entity(
            "contacts",
            ("contact_id", "received_at", "contact_type", "source", "medium", "campaign", "client_key",
             "lead_id", "updated_at"),
            ("contact_id", "received_at", "source"),
            "ПО, первичные обращения: every incoming call, form, chat, e-mail or walk-in.",
        ),
        Entity(
            "leads",
            ("lead_id", "created_at", "client_key", "source", "medium", "campaign", "status", "operator_id",
             "manager_id", "updated_at"),
            ("lead_id", "created_at"),
            "Contacts recorded in the CRM (зафиксированные контакты).",
        ),
        Entity(
            "meetings",
            ("lead_id", "meeting_id", "booked_at", "scheduled_at", "status", "manager_id", "updated_at"),
            ("lead_id", "meeting_id", "booked_at", "status"),
            "Meetings booked (ПВ(Д)) and their outcome: held (ПВ(С)), no-show, cancelled, rescheduled.",
        ),
        Entity(
            "deals",
            ("deal_id", "lead_id", "client_key", "created_at", "closed_at", "status", "amount", "currency",
             "updated_at"),
            ("deal_id", "created_at", "status"),
            "Deals (КО when won) with their amount and currency.",
        ),
        Entity(
            "ad_spend",
            ("date", "platform", "campaign", "source", "medium", "cost", "currency", "impressions", "clicks"),
            ("date", "platform", "cost", "currency"),
            "Ad-platform spend per day and campaign.",
        ),
        Entity(
            "costs",
            ("period_start", "period_end", "channel", "cost_type", "amount", "currency"),
            ("period_start", "period_end", "channel", "amount", "currency"),
            "Other acquisition costs over a period (TV, radio, outdoor, agency, call centre), spread by day.",
        ),
        Entity(
            "fx_rates",
            ("date", "currency", "rate_to_base"),
            ("date", "currency", "rate_to_base"),
            "Exchange rates to the base currency.",
        ),
    )
}

CONFIG_FILES = {
    "channels": ("channel", "name", "channel_group"),
    "channel_rules": ("priority", "source", "medium", "campaign", "channel"),
    "fixation_cost": ("channel", "effective_from", "cost_per_fixed_lead", "currency"),
    # Contacts without a CRM lead id that may be linked to a lead by client key (source and contact_type
    # patterns as in channel_rules; link_window_days empty = 3). Empty by default: nothing is inferred.
    "contact_linking": ("source", "contact_type", "link_window_days"),
    "capacity": ("effective_from", "production_units", "jobs_per_unit_per_shift", "shift_hours",
                 "working_days_per_month", "meeting_hours", "call_minutes", "target_load",
                 "fixed_costs_per_month", "variable_cost_per_job", "gross_margin", "base_currency"),
    "plan": ("month", "channel", "target_contacts", "target_deals", "target_revenue", "target_budget"),
    "lead_statuses": ("status", "stage"),
}
