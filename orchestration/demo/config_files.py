"""The demo folder's config/*.csv, made to fit the generated data: capacity and fixation prices scaled
to its volume, a plan a little above what the company model gives, the CRM's lead statuses, and a
copy of the shipped channel settings. Columns and their order are the contract's (CONFIG_FILES)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from orchestration.data_folder import DEFAULT_CONFIG_DIR
from orchestration.demo import parameters as company
from orchestration.ingest.entities import CONFIG_FILES

PLAN_AMBITION = 1.10      # the plan asks for 10 % more than the company's model gives
SHIPPED_CHANNEL_FILES = ("channels.csv", "channel_rules.csv")


def write_config_table(path: Path, name: str, rows: list[dict[str, str]]) -> None:
    """config/<name>.csv: the contract's columns of `name`, then one line per row (column -> text)."""
    columns = CONFIG_FILES[name]
    lines = [",".join(columns), *(",".join(row[column] for column in columns) for row in rows)]
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


def write_capacity_and_fixation(config_dir: Path, start: date, scale: float) -> None:
    """capacity.csv: about 10 crews at the default volume, fixed costs in proportion; fixation_cost.csv:
    a price for every channel, a dearer one for aggregators, and a rise six months later."""
    units = max(1, round(10 * scale))
    fixed_costs = int(round(1_650_000 * units / 10, -3))
    write_config_table(config_dir / "capacity.csv", "capacity", [{
        "effective_from": start.isoformat(), "production_units": str(units), "jobs_per_unit_per_shift": "2",
        "shift_hours": "8", "working_days_per_month": "22", "meeting_hours": "1.5", "call_minutes": "6",
        "target_load": "0.7", "fixed_costs_per_month": str(fixed_costs), "variable_cost_per_job": "2800",
        "gross_margin": "0.45", "base_currency": "RUB"}])
    six_months_later = date(start.year + (start.month + 5) // 12, (start.month + 5) % 12 + 1, 1)
    write_config_table(config_dir / "fixation_cost.csv", "fixation_cost", [
        {"channel": channel, "effective_from": effective_from.isoformat(), "cost_per_fixed_lead": price,
         "currency": "RUB"}
        for channel, effective_from, price in (("*", start, "150"), ("aggregators", start, "400"),
                                               ("*", six_months_later, "180"))])


def write_plan_and_lead_statuses(config_dir: Path, months: list[tuple[date, date]],
                                 contacts_per_month: list[int], scale: float) -> None:
    """plan.csv: per month and channel, targets a little above what the company model expects
    (contacts by the channel mix, deals through each channel's membranes, revenue at its median check,
    budget from its cost items, ad budget and fixation price); lead_statuses.csv: the demo's statuses."""
    rows = []
    for (first_day, _), contacts in zip(months, contacts_per_month, strict=True):
        shares = company.channel_shares(first_day.month)
        season = company.MONTH_SEASONALITY[first_day.month - 1]
        for index, channel in enumerate(company.CHANNELS):
            if channel == "unknown":
                continue
            channel_contacts = contacts * shares[index]
            held = (channel_contacts * company.FIXATION_RATE[index] * company.BOOKING_RATE[index] * 0.86
                    * (1 - company.NO_SHOW_RATE[index]))
            deals = held * company.CLOSING_RATE[index]
            revenue = deals * company.MEDIAN_CHECK_RUB[index] * PLAN_AMBITION
            budget = planned_budget(channel, index, first_day.month, season, channel_contacts, scale)
            rows.append({"month": first_day.isoformat(), "channel": channel,
                         "target_contacts": str(round(channel_contacts * PLAN_AMBITION)),
                         "target_deals": str(round(deals * PLAN_AMBITION)),
                         "target_revenue": str(int(round(revenue, -3))),
                         "target_budget": str(int(round(budget, -3)))})
    write_config_table(config_dir / "plan.csv", "plan", rows)
    write_config_table(config_dir / "lead_statuses.csv", "lead_statuses",
                       [{"status": status, "stage": stage} for status, stage in company.LEAD_STAGES.items()])


def planned_budget(channel: str, index: int, month: int, season: float, contacts: float,
                   scale: float) -> float:
    """A channel's budget in a month: its cost items, its share of the online budget, fixation prices."""
    budget = sum(item.rub_per_month * (season if item.seasonal else 1.0) for item in company.COST_ITEMS
                 if item.channel == channel
                 and (item.active_months is None or month in item.active_months)) * scale
    budget += (company.ONLINE_BUDGET_RUB * scale * season if channel == "online_ads" else 0.0)
    budget += contacts * company.FIXATION_RATE[index] * (400 if channel == "aggregators" else 165)
    return budget


def copy_shipped_channel_config(config_dir: Path) -> None:
    """The shipped channels.csv and channel_rules.csv, so that the folder is self-contained."""
    for name in SHIPPED_CHANNEL_FILES:
        (config_dir / name).write_bytes((DEFAULT_CONFIG_DIR / name).read_bytes())
