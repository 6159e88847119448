"""The run report: what one nightly run loaded, quarantined, checked and published.

Written to DATA_DIR/logs/run_report.json (schema in docs/run_report.md, read by `membrana status` and
the dashboard) and DATA_DIR/logs/run_report.md, a human summary `membrana run` also prints.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.data_folder import DataFolder
from orchestration.nightly.report_text import check_counts
from orchestration.publish.snapshot import snapshot_path
from orchestration.quality.settings import QualityConfigError, run_date

SCHEMA_VERSION = 1
GATE_CHECKS = {
    "sources_are_fresh": "freshness",
    "meetings_and_deals_point_to_existing_leads": "integrity",
    "marts_reconcile_with_staging": "reconciliation",
    "membranes_within_control_limits": "drift",
}


@dataclass(frozen=True)
class CheckRecord:
    asset: str
    check: str
    kind: str  # freshness | integrity | reconciliation | drift | expectations | dbt_test
    status: str  # passed | warned | failed | not_run
    blocking: bool
    summary: str

    def as_json(self) -> dict:
        return self.__dict__.copy()


def check_kind(check_name: str) -> str:
    if check_name in GATE_CHECKS:
        return GATE_CHECKS[check_name]
    return "expectations" if check_name.endswith("_meets_its_expectations") else "dbt_test"


def check_records(result: dg.ExecuteInProcessResult, planned: set[dg.AssetCheckKey]) -> list[CheckRecord]:
    records, evaluated = [], set()
    for evaluation in result.get_asset_check_evaluations():
        evaluated.add(evaluation.asset_check_key)
        if evaluation.passed:
            status = "passed"
        else:
            status = "failed" if evaluation.severity == dg.AssetCheckSeverity.ERROR else "warned"
        records.append(CheckRecord(
            evaluation.asset_key.to_user_string(), evaluation.check_name, check_kind(evaluation.check_name),
            status, bool(evaluation.blocking), first_line(evaluation.description) or failing_rows(evaluation.metadata),
        ))
    for key in sorted(planned - evaluated, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        records.append(CheckRecord(key.asset_key.to_user_string(), key.name, check_kind(key.name), "not_run",
                                   False, "not evaluated: an earlier step failed or was blocked"))
    return records


def first_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else ""


def failing_rows(metadata) -> str:
    """A dbt test's result carries no description, only its failing row count."""
    count = metadata.get("dagster_dbt/failed_row_count")
    return f"{count.value} failing rows" if count is not None else ""


def blocking_failures(records: list[CheckRecord]) -> list[CheckRecord]:
    return [record for record in records if record.status == "failed" and record.blocking]


def file_records(warehouse: Path, started_at: datetime) -> list[dict]:
    """Every file of the warehouse's load manifest with its rows loaded and quarantined (as the last file
    reconciliation counted them from audit.quarantine, wherever dbt built it: DuckDB or Spark; a file no
    build has reconciled yet counts 0)."""
    try:
        with duckdb.connect(str(warehouse), read_only=True) as con:
            rows = con.execute("""
                select entity, file_path, rows_loaded, loaded_at, coalesce(rows_quarantined, 0)
                from audit.load_manifest
                order by entity, file_path
            """).fetchall()
    except duckdb.Error:
        return []  # no warehouse yet
    return [
        {"entity": entity, "file": file_path, "rows_loaded": loaded, "rows_quarantined": quarantined,
         "loaded_this_run": loaded_at is not None and loaded_at >= started_at}
        for entity, file_path, loaded, loaded_at, quarantined in rows
    ]


def published_record(result: dg.ExecuteInProcessResult, published: Path) -> dict:
    snapshot = snapshot_path(published)  # blocked on an upgraded folder: the pre-v2 file still serves
    published_now = [
        event for event in result.get_asset_materialization_events()
        if event.asset_key == dg.AssetKey("published_marts")
    ]
    previous_at = (datetime.fromtimestamp(snapshot.stat().st_mtime, UTC).isoformat()
                   if snapshot.exists() else None)
    rows, removed, snapshot_id = {}, None, None
    if published_now:
        metadata = published_now[0].materialization.metadata
        rows = {key.removeprefix("rows_"): value.value for key, value in metadata.items() if key.startswith("rows_")}
        removed = metadata["removed_pre_v2_snapshot"].value if "removed_pre_v2_snapshot" in metadata else None
        snapshot_id = metadata["snapshot_id"].value if "snapshot_id" in metadata else None
    return {
        "published": bool(published_now),
        "snapshot": str(snapshot) if snapshot.exists() else None,
        "snapshot_written_at": previous_at,
        "snapshot_id": snapshot_id,  # this run's snapshot in published/history/, only when it published
        "parquet_dir": str(published / "parquet"),
        "rows": rows,
        "removed_pre_v2_snapshot": removed,  # the notice, on the run that removed published/marts.duckdb
    }


def drift_alerts(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line per membrane outside its control limits (the alerts mart, via its drift check)."""
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.check_name == "membranes_within_control_limits" and "details" in evaluation.metadata:
            return list(evaluation.metadata["details"].value.get("lines", []))
    return []


def dbt_build_record(result: dg.ExecuteInProcessResult) -> dict:
    """Whether dbt ran. Each dbt model's materialization says whether it was rebuilt: on a night with nothing
    new none is, on an incremental night those its new rows do not reach are not (defs/transform/dbt_assets.py)."""
    models = [metadata for event in result.get_asset_materialization_events()
              if "rebuilt" in (metadata := event.materialization.metadata)]
    unchanged = [entry for entry in models if not entry["rebuilt"].value]
    if not unchanged:
        return {"rebuilt": True, "note": None}
    if len(unchanged) == len(models):
        return {"rebuilt": False, "note": unchanged[0]["why"].value}
    return {"rebuilt": True, "note": f"{len(unchanged)} models not rebuilt: {unchanged[0]['why'].value}"}


def build_report(result, planned_checks, folder: DataFolder, started_at: datetime, finished_at: datetime,
                 reason: str) -> dict:
    records = check_records(result, planned_checks)
    blocked = blocking_failures(records)
    status = "published" if result.success else ("blocked" if blocked else "failed")
    files = file_records(folder.warehouse, started_at)
    try:
        day = run_date(folder.config).isoformat()
    except QualityConfigError:
        day = None
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": result.run_id,
        "data_dir": str(folder.root),
        "run_date": day,
        "started_at": started_at.astimezone(UTC).isoformat(),
        "finished_at": finished_at.astimezone(UTC).isoformat(),
        "duration_seconds": round((finished_at - started_at).total_seconds(), 1),
        "status": status,
        "exit_code": 0 if result.success else 1,
        "reason": reason,
        "files": files,
        "totals": {
            "files": len(files),
            "files_loaded_this_run": sum(f["loaded_this_run"] for f in files),
            "rows_loaded": sum(f["rows_loaded"] for f in files),
            "rows_loaded_this_run": sum(f["rows_loaded"] for f in files if f["loaded_this_run"]),
            "rows_quarantined": sum(f["rows_quarantined"] for f in files),
        },
        "checks": check_counts(record.status for record in records),
        "blocking_failures": [r.as_json() for r in blocked],
        "drift_alerts": drift_alerts(result),
        "check_results": [r.as_json() for r in records],
        "dbt_build": dbt_build_record(result),
        "published": published_record(result, folder.published),
    }
