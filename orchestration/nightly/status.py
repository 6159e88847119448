"""`membrana status`: the last run, its checks, how fresh each source is and where the outputs are.

Reads only files the nightly job leaves behind — logs/last_run.json (written by `membrana run`),
logs/run_report.json (the quality gates' report, when present), the published snapshot and which kept
snapshot it is (published/history/current.json: a rollback says so) and, when no run
holds it, the warehouse's load manifest — so it answers in a second and never waits for a running build.
"""

import json
from datetime import date, datetime
from pathlib import Path

import duckdb

from orchestration.nightly.report_text import CHECK_STATUSES
from orchestration.publish.history import current_snapshot
from orchestration.publish.snapshot import connect_snapshot, snapshot_path

LAST_RUN_FILE = "last_run.json"
RUN_REPORT_FILE = "run_report.json"

# Source → the funnel_daily measure whose last non-zero day says how far that source's data reaches.
SOURCE_MEASURES = {
    "contacts": "incoming_contacts", "leads": "fixed_leads", "meetings": "meetings_booked",
    "deals": "deals_won", "ad_spend": "ad_spend", "costs": "other_costs",
}

# Exit codes of `membrana status`, for scripts.
STATUS_OK = 0
STATUS_LAST_RUN_FAILED = 1
STATUS_NOTHING_PUBLISHED = 3


def dbt_results_summary(run_results: Path) -> dict[str, dict[str, int]]:
    """Counts of dbt models and tests by status, from one invocation's run_results.json."""
    counts: dict[str, dict[str, int]] = {"models": {}, "tests": {}}
    for result in json.loads(run_results.read_text())["results"]:
        kind = "tests" if result["unique_id"].startswith(("test.", "unit_test.")) else "models"
        counts[kind][result["status"]] = counts[kind].get(result["status"], 0) + 1
    return counts


def write_last_run(logs_dir: Path, started_at: datetime, seconds: float, success: bool, reason: str,
                   dbt_results: dict | None) -> Path:
    logs_dir.mkdir(parents=True, exist_ok=True)
    record = {"started_at": started_at.isoformat(timespec="seconds"), "seconds": round(seconds, 1),
              "success": success, "reason": reason, "dbt": dbt_results}
    target = logs_dir / LAST_RUN_FILE
    target.write_text(json.dumps(record, indent=2))
    return target


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def published_data_through(published: Path, today: date) -> list[dict]:
    """Per source, the last day its data reaches in the published funnel and how many days ago that was."""
    measures = ", ".join(f"max(case when {measure} > 0 then date end) as {source}"
                         for source, measure in SOURCE_MEASURES.items())
    with connect_snapshot(published) as con:
        row = con.execute(f"select {measures} from snapshot.marts.funnel_daily").fetchone()
    return [{"source": source, "data_through": day.isoformat() if day else None,
             "days_old": (today - day).days if day else None} for source, day in zip(SOURCE_MEASURES, row)]


def load_manifest(warehouse: Path) -> dict[str, dict] | None:
    """Files and rows loaded per entity and when the last file came; None while a run holds the warehouse."""
    if not warehouse.exists():
        return None
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute("""
                select entity, count(*), sum(rows_loaded), max(loaded_at) from audit.load_manifest group by entity
            """).fetchall()
    except duckdb.Error:
        return None
    return {entity: {"files": files, "rows": int(rows or 0), "last_loaded_at": str(loaded_at)[:19]}
            for entity, files, rows, loaded_at in rows}


def collect_status(data_dir: Path, today: date) -> dict:
    published, logs = data_dir / "published", data_dir / "logs"
    snapshot = snapshot_path(published)
    status = {
        "data_dir": str(data_dir),
        "last_run": read_json(logs / LAST_RUN_FILE),
        "run_report": read_json(logs / RUN_REPORT_FILE),
        "published_at": None,
        "snapshot": None,  # {id, since, rollback: None | {from}} in the snapshot history
        "outputs": {
            "snapshot": str(snapshot), "parquet": str(published / "parquet"),
            "dashboard": str(published / "dashboard.html"), "run_log": str(logs / "last_run.log"),
        },
        "freshness": [],
        "loads": load_manifest(data_dir / "warehouse.duckdb"),
    }
    if snapshot.exists():
        status["published_at"] = datetime.fromtimestamp(snapshot.stat().st_mtime).isoformat(timespec="seconds")
        status["snapshot"] = current_snapshot(published)
        status["freshness"] = published_data_through(published, today)
    status["outputs"] = {name: path for name, path in status["outputs"].items() if Path(path).exists()}
    return status


def last_run_outcome(status: dict) -> dict | None:
    """The last run in one shape, from the run report (docs/run_report.md, schema_version 1) when there is
    one, else from logs/last_run.json."""
    report, run = status["run_report"], status["last_run"]
    if report and report.get("schema_version") == 1 and not run_after_report(run, report):
        checks = report.get("checks") or {}
        return {
            "started_at": report.get("started_at"), "seconds": report.get("duration_seconds") or 0,
            "succeeded": report.get("status") == "published", "outcome": report.get("status"),
            "reason": report.get("reason") or "",
            "checks": ", ".join(f"{checks[key]} {key}" for key in CHECK_STATUSES if checks.get(key)) or "none ran",
            "drift_alerts": report.get("drift_alerts") or [],
        }
    if run:
        return {"started_at": run["started_at"], "seconds": run["seconds"], "succeeded": run["success"],
                "outcome": "published" if run["success"] else "failed", "reason": run["reason"],
                "checks": "dbt " + format_dbt(run.get("dbt")), "drift_alerts": []}
    return None


def run_after_report(run: dict | None, report: dict) -> bool:
    """Whether the last run ended before it wrote a report (the warehouse could not be used, the disk was full):
    the report on disk is then the run before's. A run records its start before its report's."""
    try:
        return datetime.fromisoformat(run["started_at"]).astimezone() > \
            datetime.fromisoformat(report["started_at"]).astimezone()
    except (TypeError, KeyError, ValueError):
        return False


def status_exit_code(status: dict) -> int:
    if status["published_at"] is None:
        return STATUS_NOTHING_PUBLISHED
    outcome = last_run_outcome(status)
    return STATUS_LAST_RUN_FAILED if outcome and not outcome["succeeded"] else STATUS_OK


def format_dbt(dbt: dict | None) -> str:
    if not dbt:
        return "no dbt results recorded"
    parts = []
    for kind in ("models", "tests"):
        counts = dbt.get(kind) or {}
        if counts:
            parts.append(f"{sum(counts.values())} {kind} (" + ", ".join(
                f"{count} {state}" for state, count in sorted(counts.items())) + ")")
    return "; ".join(parts) or "nothing ran"


def format_status(status: dict) -> str:
    lines = [f"Data folder: {status['data_dir']}"]
    run = last_run_outcome(status)
    if run is None:
        lines.append("Last run: none recorded (logs/run_report.json appears after `membrana run`)")
    else:
        outcome = "succeeded" if run["succeeded"] else f"{run['outcome'].upper()} — {run['reason']}"
        lines.append(f"Last run: {run['started_at']}, {run['seconds']:.0f} s, {outcome}")
        lines.append(f"  checks: {run['checks']}")
        lines += [f"  drift: {alert}" for alert in run["drift_alerts"]]
    if status["run_report"] is None:
        lines.append("  run report: not available yet (logs/run_report.json)")
    if status["published_at"] is None:
        lines.append("Published snapshot: none yet — run `membrana run`")
    else:
        lines.append(f"Published snapshot: {status['published_at']}")
        current = status["snapshot"]
        if current and current.get("rollback"):
            lines.append(f"  ROLLED BACK: `membrana rollback` republished snapshot {current['id']} on "
                         f"{current['since'].replace('T', ' ')}, replacing {current['rollback']['from'] or 'an unknown one'}; "
                         "the next run that publishes replaces it")
        lines.append("Freshness per source (last day with data in the published funnel):")
        loads = status["loads"] or {}
        for item in status["freshness"]:
            through = item["data_through"] or "no data"
            age = "" if item["days_old"] is None else f" ({item['days_old']} days ago)"
            load = loads.get(item["source"])
            files = f"; {load['files']} files, {load['rows']:,} rows, last loaded {load['last_loaded_at']}" \
                if load else ""
            lines.append(f"  {item['source']:<9} {through}{age}{files}")
        if status["loads"] is None:
            lines.append("  (load manifest unavailable: no warehouse yet, or a run is writing it)")
    lines.append("Outputs:")
    lines += [f"  {name:<9} {path}" for name, path in status["outputs"].items()]
    return "\n".join(lines)
