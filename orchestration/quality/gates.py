"""The gates that guard the publish, as plain functions on the warehouse (the Dagster checks are thin
wrappers in orchestration/defs/quality/). Each returns a GateOutcome: passed, or failed with a
severity — `error` blocks the publish, `warn` is reported and the marts are published."""

from dataclasses import dataclass, field
from datetime import date, datetime

from orchestration.quality.settings import FreshnessLimit

# Each source's newest record: the time its latest event happened, from the staging views.
NEWEST_RECORD_SQL = {
    "contacts": "select max(received_at) from staging.stg_crm__contacts",
    "leads": "select max(created_at) from staging.stg_crm__leads",
    "meetings": "select max(booked_at) from staging.stg_crm__meetings",
    "deals": "select max(greatest(created_at, coalesce(closed_at, created_at))) from staging.stg_crm__deals",
    "ad_spend": "select max(spend_date) from staging.stg_marketing__ad_spend",
    "costs": "select max(period_end) from staging.stg_marketing__costs",
    "fx_rates": "select max(rate_date) from staging.stg_marketing__fx_rates",
}


@dataclass(frozen=True)
class GateOutcome:
    passed: bool
    severity: str  # when not passed: "error" (blocks the publish) or "warn"
    summary: str  # one line for the run output
    metadata: dict = field(default_factory=dict)


def passed(summary: str, metadata: dict) -> GateOutcome:
    return GateOutcome(True, "warn", summary, metadata)


def as_day(value) -> date | None:
    if value is None:
        return None
    return value.date() if isinstance(value, datetime) else value


def newest_records(con, entities) -> dict[str, date | None]:
    """Each source's newest record (its day), None for a source with no records."""
    return {entity: as_day(con.execute(NEWEST_RECORD_SQL[entity]).fetchone()[0]) for entity in entities}


def source_freshness(con, limits: list[FreshnessLimit], run_day: date) -> GateOutcome:
    """Each source's newest record against the run date. A source past its block limit blocks."""
    return freshness_outcome(newest_records(con, [limit.entity for limit in limits]), limits, run_day)


def freshness_outcome(newest_by_source: dict[str, date | None], limits: list[FreshnessLimit],
                      run_day: date) -> GateOutcome:
    blocking, warning, per_source = [], [], {}
    for limit in limits:
        newest = newest_by_source[limit.entity]
        age = (run_day - newest).days if newest else None
        per_source[limit.entity] = {
            "newest_record": newest.isoformat() if newest else None, "age_days": age,
            "warn_after_days": limit.warn_after_days, "block_after_days": limit.block_after_days,
        }
        described = f"{limit.entity} newest {newest} is {age} days old" if newest else f"{limit.entity} has no records"
        if limit.block_after_days is not None and (age is None or age > limit.block_after_days):
            blocking.append(f"{described} (block after {limit.block_after_days})")
        elif age is None or age > limit.warn_after_days:
            warning.append(f"{described} (warn after {limit.warn_after_days})")
    metadata = {"run_date": run_day.isoformat(), "sources": per_source}
    if blocking:
        return GateOutcome(False, "error", "stale sources: " + "; ".join(blocking + warning), metadata)
    if warning:
        return GateOutcome(False, "warn", "stale sources: " + "; ".join(warning), metadata)
    return passed(f"all {len(limits)} sources fresh on {run_day}", metadata)


ORPHANS_BY_MONTH_SQL = """
with rows_by_month as (
    select 'meetings' as entity, cast(date_trunc('month', meetings.booked_at) as date) as month,
        leads.lead_id is null as is_orphan
    from staging.stg_crm__meetings as meetings
    left join staging.stg_crm__leads as leads on meetings.lead_id = leads.lead_id
    union all
    select 'deals', cast(date_trunc('month', deals.created_at) as date),
        leads.lead_id is null
    from staging.stg_crm__deals as deals
    left join staging.stg_crm__leads as leads on deals.lead_id = leads.lead_id
    where deals.lead_id is not null
)
select entity, month, count(*) as total_rows, count(*) filter (where is_orphan) as orphan_rows
from rows_by_month
group by entity, month
order by entity, month
"""


def lead_integrity(con, max_shares: dict[str, float]) -> GateOutcome:
    """Meetings and deals that point to a lead that does not exist. Above the entity's share of a month
    they block (the funnel would lose them to `unknown`); below it they are counted and reported."""
    months = con.execute(ORPHANS_BY_MONTH_SQL).fetchall()
    orphans = {entity: 0 for entity in max_shares}
    over_limit = []
    for entity, month, total, orphan in months:
        orphans[entity] += orphan
        share = orphan / total if total else 0.0
        if share > max_shares[entity]:
            over_limit.append(f"{entity} of {month:%Y-%m}: {orphan} of {total} ({share:.1%}) point to missing leads "
                              f"(limit {max_shares[entity]:.0%})")
    metadata = {"orphan_rows": orphans, "max_orphan_share": max_shares, "months_over_limit": len(over_limit)}
    if over_limit:
        more = f" (+{len(over_limit) - 1} more months)" if len(over_limit) > 1 else ""
        return GateOutcome(False, "error", over_limit[0] + more, metadata)
    if any(orphans.values()):
        counted = ", ".join(f"{count} {entity}" for entity, count in orphans.items() if count)
        return GateOutcome(False, "warn", f"{counted} point to missing leads (below the limit)", metadata)
    return passed("every meeting and deal points to an existing lead", metadata)


# The staged totals, computed from staging on their own (not from the marts' intermediate models, but
# for the contact → lead links: a contact linked by client key through config/contact_linking.csv
# makes its lead no incoming contact of its own), and what each public mart must add up to. Won deals,
# spend and costs with no exchange rate are quarantined, so they are not in the marts; they are left out
# here through the rates the marts used.
STAGED_TOTALS_SQL = """
select
    (select count(*) from staging.stg_crm__contacts)
        + (select count(*) from staging.stg_crm__leads as leads
           where not exists (select 1 from intermediate.int_contacts_linked_to_leads as links
                             where links.lead_id = leads.lead_id)) as incoming_contacts,
    (select count(*) from staging.stg_crm__leads) as fixed_leads,
    (select count(*) from intermediate.int_deals_converted_to_base where is_won and not is_missing_rate) as deals_won,
    (select coalesce(sum(amount_base), 0) from intermediate.int_deals_converted_to_base
        where is_won and not is_missing_rate) as revenue,
    (select coalesce(sum(cost_base), 0) from intermediate.int_ad_spend_converted_to_base
        where not is_missing_rate) as ad_spend
"""
MART_TOTALS = {
    "funnel_daily": ("incoming_contacts", "fixed_leads", "deals_won", "revenue", "ad_spend"),
    "kpi_monthly": ("incoming_contacts", "fixed_leads", "deals_won", "revenue", "ad_spend"),
    "capacity_plan": ("incoming_contacts", "deals_won", "revenue"),
}
MONEY_TOLERANCE = 0.01  # each mart row is rounded to 6 decimals: a kopeck over the whole total is plenty


def marts_reconcile(con) -> GateOutcome:
    """Totals of contacts, leads, won deals, revenue and ad spend in each mart equal the staged totals."""
    cursor = con.execute(STAGED_TOTALS_SQL)
    staged = dict(zip([column[0] for column in cursor.description], cursor.fetchone()))
    mismatches, totals = [], {"staging": {name: float(value) for name, value in staged.items()}}
    for mart, measures in MART_TOTALS.items():
        sums = con.execute(
            f"select {', '.join(f'coalesce(sum({m}), 0)' for m in measures)} from marts.{mart}"
        ).fetchone()
        totals[mart] = {}
        for measure, value in zip(measures, sums):
            totals[mart][measure] = float(value)
            tolerance = 0 if measure in ("incoming_contacts", "fixed_leads", "deals_won") else MONEY_TOLERANCE
            if abs(float(value) - float(staged[measure])) > tolerance:
                mismatches.append(f"{mart}.{measure} {float(value):,.2f} ≠ staged {float(staged[measure]):,.2f}")
    if mismatches:
        return GateOutcome(False, "error", "marts do not reconcile with staging: " + "; ".join(mismatches), totals)
    return passed(f"{len(MART_TOTALS)} marts reconcile with staging", totals)


def membrane_drift(con) -> GateOutcome:
    """The alerts mart's membranes outside their control limits: a warning, never a block."""
    alerts = con.execute(
        "select period_grain, period_start, channel, membrane, rate, lower_limit, upper_limit, alert_status "
        "from marts.alerts where is_alert order by period_grain desc, channel, membrane"
    ).fetchall()
    assessed = con.execute("select count(*) from marts.alerts where alert_status <> 'not_enough_volume'").fetchone()[0]
    lines = [
        f"{membrane} of {channel} in the {grain} of {start} {rate:.1%} ({status}: limits {low:.1%}–{high:.1%})"
        for grain, start, channel, membrane, rate, low, high, status in alerts
    ]
    metadata = {"alerts": len(alerts), "membranes_assessed": assessed, "lines": lines}
    if alerts:
        return GateOutcome(False, "warn", f"{len(alerts)} membrane drift alerts: " + "; ".join(lines), metadata)
    return passed(f"{assessed} membranes within their control limits", metadata)
