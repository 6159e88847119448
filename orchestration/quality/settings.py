"""The run date and the data folder's quality settings (config/freshness.csv, config/integrity.csv).

The run date is what freshness is measured against: $MEMBRANA_RUN_DATE (YYYY-MM-DD) when set, else
config/run_date.csv of the data folder (a frozen snapshot such as the demo, whose exports end on a
fixed day), else today.
"""

import csv
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

# Without config/freshness.csv a source older than these days is only reported (never blocks), so a
# historical backfill or an old export still publishes.
DEFAULT_WARN_AFTER_DAYS = {
    "contacts": 2, "leads": 2, "meetings": 2, "deals": 3, "ad_spend": 3, "costs": 35, "fx_rates": 7,
}
DEFAULT_MAX_ORPHAN_SHARE = 0.05  # 5 % of a month's meetings or deals


class QualityConfigError(Exception):
    """A quality setting that cannot be used; the message is one line naming the file and what to fix."""


@dataclass(frozen=True)
class FreshnessLimit:
    entity: str
    warn_after_days: int
    block_after_days: int | None  # None: never blocks (no config/freshness.csv)


def run_date(config_dir: Path) -> date:
    given = os.environ.get("MEMBRANA_RUN_DATE")
    if given:
        return parse_day(given, "MEMBRANA_RUN_DATE")
    rows = read_rows(config_dir / "run_date.csv", ("run_date",))
    if rows:
        line, row = rows[0]
        return parse_day(row["run_date"], f"config/run_date.csv line {line}: run_date")
    return date.today()


def freshness_limits(config_dir: Path) -> tuple[list[FreshnessLimit], bool]:
    """The limits and whether they come from config/freshness.csv (only those may block)."""
    path = config_dir / "freshness.csv"
    if not path.exists():
        return [FreshnessLimit(entity, days, None) for entity, days in DEFAULT_WARN_AFTER_DAYS.items()], False
    limits = []
    for line, row in read_rows(path, ("entity", "warn_after", "block_after")):
        where = f"config/freshness.csv line {line}"
        entity = row["entity"].strip()
        if entity not in DEFAULT_WARN_AFTER_DAYS:
            raise QualityConfigError(f"{where}: unknown entity '{entity}' (one of {', '.join(DEFAULT_WARN_AFTER_DAYS)})")
        warn, block = days(row["warn_after"], where, "warn_after"), days(row["block_after"], where, "block_after")
        if block < warn:
            raise QualityConfigError(f"{where}: block_after ({block}) is less than warn_after ({warn})")
        limits.append(FreshnessLimit(entity, warn, block))
    return limits, True


def max_orphan_shares(config_dir: Path) -> dict[str, float]:
    """Per entity (meetings, deals): the share of a month's rows that may point to a missing lead."""
    shares = {"meetings": DEFAULT_MAX_ORPHAN_SHARE, "deals": DEFAULT_MAX_ORPHAN_SHARE}
    for line, row in read_rows(config_dir / "integrity.csv", ("entity", "max_orphan_share")):
        where = f"config/integrity.csv line {line}"
        entity = row["entity"].strip()
        if entity not in shares:
            raise QualityConfigError(f"{where}: unknown entity '{entity}' (meetings or deals)")
        try:
            share = float(row["max_orphan_share"])
        except ValueError:
            share = -1.0
        if not 0 <= share <= 1:
            raise QualityConfigError(f"{where}: max_orphan_share must be a share in [0, 1], e.g. 0.05")
        shares[entity] = share
    return shares


def read_rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """(line number, row) of a small settings CSV; an absent file has no rows."""
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [column for column in columns if column not in (reader.fieldnames or [])]
        if missing:
            raise QualityConfigError(f"config/{path.name}: missing column {', '.join(missing)} (expected {', '.join(columns)})")
        return [(index + 2, row) for index, row in enumerate(reader) if any((value or "").strip() for value in row.values())]


def parse_day(text: str, where: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise QualityConfigError(f"{where} '{text}' is not a date (YYYY-MM-DD)") from None


def days(text: str, where: str, column: str) -> int:
    try:
        value = int((text or "").strip())
    except ValueError:
        value = -1
    if value < 0:
        raise QualityConfigError(f"{where}: {column} '{text}' is not a whole number of days")
    return value


# The demo's exports: CRM weekly plus the last day, ad spend daily in monthly files, costs and rates
# monthly (the last rate may be a day or two before the month's end).
DEMO_FRESHNESS = (
    ("contacts", 2, 7), ("leads", 2, 7), ("meetings", 2, 7), ("deals", 3, 14),
    ("ad_spend", 3, 10), ("costs", 35, 70), ("fx_rates", 7, 35),
)


def write_demo_quality_config(config_dir: Path, end_date: date) -> None:
    """The demo folder's freshness limits, and its run date: the day after its exports end (a frozen
    snapshot, so that the demo publishes whatever today is; MEMBRANA_RUN_DATE still overrides it)."""
    rows = ["entity,warn_after,block_after"] + [f"{entity},{warn},{block}" for entity, warn, block in DEMO_FRESHNESS]
    (config_dir / "freshness.csv").write_text("\n".join(rows) + "\n")
    (config_dir / "run_date.csv").write_text(f"run_date\n{end_date + timedelta(days=1)}\n")
