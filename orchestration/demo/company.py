"""Deterministic generator of a realistic demo company in membrana's canonical raw format.

The company is a cleaning service in a large Russian city (about 10 crews, base currency RUB) that buys
contacts through the seven shipped channels (TV/radio, brand, online ads, direct sales, outdoor, partners,
aggregators).  Every stage of the funnel is simulated record by record, fully vectorised with numpy:

    contact --(fixation)--> lead --(booking)--> meeting --(held / no-show / cancelled / rescheduled)-->
    deal (open) --> won / lost

Each channel has its own membranes (fixation, booking, no-show and closing rates) and average check;
demand is seasonal (spring and pre-New-Year peaks, January and summer dips) with a weekday and an
hour-of-day pattern.  CRM entities are written as overlapping weekly exports (every record created or
updated in the 14 days before the export, in its state at the export), exactly as a CRM export job
would produce them; ad spend, costs and FX rates are monthly, non-overlapping files.

Scaling: the history is generated one calendar month ("cohort": everything that starts in that month)
at a time; only the versions still needed by a later export are kept in memory, and files are written
by DuckDB ``COPY`` from Arrow tables.  10 million contacts take a few minutes with bounded memory.

The parts, in the order a newcomer may read them:

    parameters.py     the company: channels and their rates, touches, seasonality, staff, statuses, costs
    dates.py          calendar and time helpers (moments in seconds, months, export days, daily demand)
    draws.py          the random draws the simulation repeats
    cohort.py         one month's contacts, leads, meetings and deals, as versions over time
    versions.py       versions of records and the buffer that keeps those a later export needs
    money_series.py   the USD rate, daily ad spend and monthly other costs
    exports.py        every entity's rows as Arrow tables, written as the canonical CSV by DuckDB
    bad_rows.py       the deliberately bad rows inserted into the written files
    config_files.py   config/*.csv that fit the generated data
    company.py        this module: generate_company, which runs them month by month

Public API: :func:`generate_company`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np

from orchestration.demo.bad_rows import inject_bad_rows
from orchestration.demo.cohort import CohortMonth, CompanyHistory, simulate_cohort
from orchestration.demo.config_files import (
    copy_shipped_channel_config,
    write_capacity_and_fixation,
    write_plan_and_lead_statuses,
)
from orchestration.demo.dates import (
    DAY,
    demand_by_day,
    end_of_day,
    export_days,
    is_working_day,
    last_day_of_month,
    months_between,
    period_of,
)
from orchestration.demo.exports import (
    CANONICAL_COLUMNS,
    ad_spend_table,
    costs_table,
    crm_table,
    exports_connection,
    fx_rates_table,
    write_csv,
)
from orchestration.demo.money_series import ad_spend_month, costs_month, usd_rub_walk

# the names the tests and callers use
from orchestration.demo.parameters import (  # noqa: F401
    AD_CAMPAIGNS,
    CHANNELS,
    CONTACT_TYPES,
    CONTACTS_PER_MONTH,
    MEETING_STATUSES,
    TOUCHES,
)
from orchestration.demo.versions import VersionBuffer
from orchestration.quality.settings import write_demo_quality_config

__all__ = ["CANONICAL_COLUMNS", "CHANNELS", "TOUCHES", "generate_company"]

CRM_ENTITIES = ("contacts", "leads", "meetings", "deals")
# a weekly CRM export holds every record created or updated in the 14 days up to its day
EXPORT_WINDOW_DAYS = 14
# the rates start three weeks before the history, so the first days have a rate on or before them
RATES_BEFORE_HISTORY_DAYS = 21


@dataclass
class Written:
    """The files written per entity, in order, and their data rows."""
    file_names: dict[str, list[str]] = field(default_factory=lambda: {e: [] for e in CANONICAL_COLUMNS})
    rows: dict[str, int] = field(default_factory=lambda: {e: 0 for e in CANONICAL_COLUMNS})

    def add(self, entity: str, name: str, rows: int) -> None:
        self.file_names[entity].append(name)
        self.rows[entity] += rows


def generate_company(out_dir: Path, *, contacts: int | None = None, years: int = 1,
                     end_date: date = date(2026, 10, 31), seed: int = 20261101,
                     bad_rows: bool = True, copy_channel_config: bool = True) -> dict:
    """Write a deterministic demo company into ``out_dir`` and return a summary.

    Layout: ``out_dir/landing/<entity>/*.csv`` for contacts, leads, meetings, deals (weekly, overlapping
    exports ``<entity>_YYYY-MM-DD.csv`` holding every record created or updated in the 14 days up to the
    export day, in its state at the end of that day; the last export is on ``end_date``), ad_spend, costs
    and fx_rates (monthly, ``<entity>_YYYY-MM.csv``), plus ``out_dir/config/capacity.csv`` and
    ``out_dir/config/fixation_cost.csv``, ``plan.csv`` and ``lead_statuses.csv`` (that fit the data).
    Events after ``end_date`` 23:59:59 have not happened yet.

    ``contacts=None`` -> about 2,000 contacts a month; ``contacts=N`` -> exactly N distinct contacts, with
    money, capacity and fixed costs scaled in proportion.  ``bad_rows=True`` inserts a dozen rows that each
    break exactly one rule of docs/row_rules.md (listed in the summary with file and 1-based line number,
    line 1 = header); they are extra rows, the valid rows are identical to ``bad_rows=False``.
    ``copy_channel_config`` copies the shipped ``channels.csv`` and ``channel_rules.csv`` into
    ``out_dir/config`` so that the folder is self-contained (the reference scripts read them from there).
    """
    out_dir = Path(out_dir)
    if years < 1:
        raise ValueError("years must be >= 1")
    start, end = period_of(end_date, years)
    days = np.arange(np.datetime64(start), np.datetime64(end) + 1)
    default_contacts = round(CONTACTS_PER_MONTH * len(days) / 30.4375)
    total_contacts = default_contacts if contacts is None else int(contacts)
    if total_contacts < 0:
        raise ValueError("contacts must be >= 0")
    scale = total_contacts / default_contacts

    # contacts per day: seasonal, weekday and holiday pattern, exact total
    demand = demand_by_day(days, start)
    contacts_per_day = np.random.default_rng([seed, 0]).multinomial(total_contacts, demand / demand.sum())
    prepare_folders(out_dir)
    months = list(months_between(start, end))
    history = CompanyHistory(seed, end_of_day(end))
    written = Written()
    connection = exports_connection()
    rate_days, rates = usd_rub_walk(seed, start - timedelta(days=RATES_BEFORE_HISTORY_DAYS), end)
    write_months(connection, out_dir / "landing", history, months, contacts_per_day, start, end, scale,
                 rate_days, rates, written)
    write_fx_rates(connection, out_dir / "landing", rate_days, rates, written)
    connection.close()

    config_dir = out_dir / "config"
    write_capacity_and_fixation(config_dir, start, scale)
    write_plan_and_lead_statuses(config_dir, months, [int(contacts_per_day[days_of(first, last, start)].sum())
                                                      for first, last in months], scale)
    write_demo_quality_config(config_dir, end)
    if copy_channel_config:
        copy_shipped_channel_config(config_dir)

    injected = inject_bad_rows(out_dir, written.file_names, seed) if bad_rows else []
    for bad in injected:
        written.rows[bad["entity"]] += 1
    return summary(out_dir, start, end, total_contacts, history, written, injected)


def prepare_folders(out_dir: Path) -> None:
    """landing/<entity>/ and config/, without the files of an earlier run (same naming) only."""
    for entity in CANONICAL_COLUMNS:
        folder = out_dir / "landing" / entity
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{entity}_*.csv"):
            if re.fullmatch(rf"{entity}_\d{{4}}-\d{{2}}(-\d{{2}})?\.csv", old.name):
                old.unlink()
    (out_dir / "config").mkdir(parents=True, exist_ok=True)


def days_of(first: date, last: date, start: date) -> slice:
    """The positions of first .. last among the history's days."""
    return slice((first - start).days, (last - start).days + 1)


def write_months(connection: duckdb.DuckDBPyConnection, landing: Path, history: CompanyHistory,
                 months: list[tuple[date, date]], contacts_per_day: np.ndarray, start: date, end: date,
                 scale: float, rate_days: np.ndarray, rates: np.ndarray, written: Written) -> None:
    """Month by month: simulate the cohort, write the weekly CRM exports due by the month's end (then
    forget the versions no later export needs), and the month's ad spend and costs."""
    buffers = {entity: VersionBuffer() for entity in CRM_ENTITIES}
    exports = export_days(start, end)
    next_export = 0
    for index, (first, last) in enumerate(months):
        month = CohortMonth(index, first, last, contacts_per_day[days_of(first, last, start)])
        cohort = simulate_cohort(history, month)
        for entity in CRM_ENTITIES:
            buffers[entity].append(cohort[entity])
        del cohort
        while next_export < len(exports) and exports[next_export] <= last:
            write_crm_exports(connection, landing, buffers, exports[next_export], written)
            next_export += 1
        if next_export < len(exports):
            oldest_needed = end_of_day(exports[next_export]) - EXPORT_WINDOW_DAYS * DAY
            for entity in CRM_ENTITIES:
                buffers[entity].forget_updated_until(oldest_needed)
        write_marketing_month(connection, landing, history.seed, index, first, last, scale, rate_days, rates,
                              written)


def write_crm_exports(connection: duckdb.DuckDBPyConnection, landing: Path, buffers: dict[str, VersionBuffer],
                      export_day: date, written: Written) -> None:
    """<entity>_YYYY-MM-DD.csv of each CRM entity: every record created or updated in the window up to
    the export day, in its state at the end of that day."""
    until = end_of_day(export_day)
    for entity in CRM_ENTITIES:
        versions = buffers[entity].export(until - EXPORT_WINDOW_DAYS * DAY, until)
        name = f"{entity}_{export_day.isoformat()}.csv"
        write_csv(connection, landing / entity / name, crm_table(entity, versions), entity)
        written.add(entity, name, len(versions["id"]))


def write_marketing_month(connection: duckdb.DuckDBPyConnection, landing: Path, seed: int, index: int,
                          first: date, last: date, scale: float, rate_days: np.ndarray, rates: np.ndarray,
                          written: Written) -> None:
    """ad_spend_YYYY-MM.csv and costs_YYYY-MM.csv: monthly, non-overlapping files."""
    tag = f"{first.year:04d}-{first.month:02d}"
    spend = ad_spend_month(seed, index, first, last, scale, rate_days, rates)
    write_csv(connection, landing / "ad_spend" / f"ad_spend_{tag}.csv", ad_spend_table(spend), "ad_spend")
    written.add("ad_spend", f"ad_spend_{tag}.csv", len(spend["day"]))
    items, amounts = costs_month(seed, index, first, scale)
    table = costs_table(first, last_day_of_month(first), items, amounts)
    write_csv(connection, landing / "costs" / f"costs_{tag}.csv", table, "costs")
    written.add("costs", f"costs_{tag}.csv", table.num_rows)


def write_fx_rates(connection: duckdb.DuckDBPyConnection, landing: Path, rate_days: np.ndarray,
                   rates: np.ndarray, written: Written) -> None:
    """fx_rates_YYYY-MM.csv: the USD rate on working days only, one file per month of rates."""
    working = is_working_day(rate_days)
    days, values = rate_days[working], rates[working]
    month_of_day = days.astype("datetime64[M]")
    for month in np.unique(month_of_day):
        in_month = month_of_day == month
        name = f"fx_rates_{month}.csv"
        write_csv(connection, landing / "fx_rates" / name, fx_rates_table(days[in_month], values[in_month]),
                  "fx_rates")
        written.add("fx_rates", name, int(in_month.sum()))


def summary(out_dir: Path, start: date, end: date, total_contacts: int, history: CompanyHistory,
            written: Written, injected: list[dict]) -> dict:
    paths = [out_dir / "landing" / entity / name
             for entity, names in written.file_names.items() for name in names]
    size = sum(path.stat().st_size for path in paths + list((out_dir / "config").glob("*.csv")))
    return {
        "out_dir": str(out_dir),
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "contacts": total_contacts,
        "records": dict(history.records),    # distinct valid records per CRM entity
        "rows": written.rows,                # data rows written per entity (with overlaps and bad rows)
        "files": {entity: len(names) for entity, names in written.file_names.items()},
        "file_names": written.file_names,
        "bytes": size,
        "bad_rows": injected,
    }
