"""The planner's inputs not given as flags: the last complete month's settings and measured rates, read
from the published snapshot (read-only, so `membrana plan` never waits for a running build)."""

from pathlib import Path

from orchestration.planning.planner import PlanInputError
from orchestration.publish.snapshot import connect_snapshot, last_complete_month, snapshot_path

# Plan inputs → the capacity_plan column that holds the last complete month's value.
PLAN_DEFAULT_COLUMNS = {
    "units": "production_units",
    "jobs_per_unit": "jobs_per_unit_per_shift",
    "working_days": "working_days_per_month",
    "shift_hours": "shift_hours",
    "meeting_hours": "meeting_hours",
    "call_minutes": "call_minutes",
    "booking_rate": "booking_rate",
    "no_show_rate": "no_show_rate",
    "closing_rate": "closing_rate",
}


def published_plan_defaults(published: Path, wanted: list[str]) -> dict[str, float]:
    """The last complete month's settings and measured rates, for the plan inputs not given as flags."""
    flags = ", ".join("--" + name.replace("_", "-") for name in wanted)
    snapshot = snapshot_path(published)
    if not snapshot.exists():
        raise PlanInputError(f"no published marts at {snapshot} to take {flags} from: run `membrana run` or give them")
    with connect_snapshot(published) as con:
        month = last_complete_month(con)
        if month is None:
            raise PlanInputError(f"no complete month in {snapshot} to take {flags} from: give them as flags")
        columns = ", ".join(PLAN_DEFAULT_COLUMNS[name] for name in wanted)
        values = con.execute(f"select {columns} from snapshot.marts.capacity_plan where month = ?", [month]).fetchone()
    result = {name: None if value is None else float(value) for name, value in zip(wanted, values)}
    empty = [name for name, value in result.items() if value is None]
    if empty:
        raise PlanInputError(
            f"{month:%Y-%m} has no measured {', '.join(empty)} (no volume): give "
            + ", ".join("--" + name.replace("_", "-") for name in empty)
        )
    return result
