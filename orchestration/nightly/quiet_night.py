"""A night with nothing to do, told apart before Dagster, dbt and Great Expectations are imported.

After a published night, logs/quiet_night.json records what that night's outcome depended on: every
landing file's size and modification time, the config files, membrana's code and dbt project, the versions
of the engines, the MEMBRANA_* settings, the warehouse and snapshot files, and each source's newest record.
A night on which all of that is unchanged would load nothing, build nothing and publish the same snapshot:
only the freshness check reads the run date, and it depends on nothing else but the newest records and the
limits. Such a night recomputes freshness, writes its run report from the last one and ends in well under a
second (the whole job needs several seconds just to import Dagster and dbt). Anything else — a new or
touched file, another setting, a freshness check that would now block — runs the whole job, which also
decides exactly what is new. A quiet night is in the run report and `membrana status`, not in Dagster's
run history: there was no run.
"""

import hashlib
import json
import os
import re
import uuid
from datetime import UTC, date, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from orchestration.data_folder import DBT_PROJECT_DIR, DEFAULT_CONFIG_DIR, PROJECT_ROOT, DataFolder
from orchestration.nightly.report_text import check_counts
from orchestration.publish.snapshot import SNAPSHOT_FILE
from orchestration.quality.gates import freshness_outcome
from orchestration.quality.settings import QualityConfigError, freshness_limits, run_date

STATE_FILE = "quiet_night.json"
CODE_DIRS = (PROJECT_ROOT / "orchestration", DBT_PROJECT_DIR)
NOT_CODE = {"target", "logs", "dbt_packages", "__pycache__"}  # what dbt and Python write beside the code
ENGINES = ("duckdb", "dbt-core", "dbt-duckdb", "dagster", "dagster-dbt", "great_expectations")
# Settings that change nothing a night publishes: where the data folder is, how much memory DuckDB may use,
# and the run date, which the freshness check reads and a quiet night evaluates anew.
NEUTRAL_SETTINGS = {"MEMBRANA_DATA_DIR", "MEMBRANA_DUCKDB_MEMORY", "MEMBRANA_RUN_DATE"}
# A replayed check's summary: what it said when it last ran, and why it was not run again.
NOT_RE_RUN = re.compile(r" in the last build, not re-run \(.*\)$| \(last validation, not re-run: .*\)$")


def file_stat(path: Path) -> list[int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return [stat.st_size, stat.st_mtime_ns]


def files_under(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*")
                  if path.is_file() and not NOT_CODE & set(path.relative_to(root).parts))


def content_digest(paths: list[Path], relative_to: Path) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.relative_to(relative_to)).encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def engine_versions() -> dict[str, str | None]:
    found = {}
    for package in ENGINES:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def night_inputs(folder: DataFolder) -> dict:
    """Everything a night's outcome depends on but the run date, as it is now."""
    landing = folder.landing
    code = [path for root in CODE_DIRS for path in files_under(root)] + [PROJECT_ROOT / "profiles.yml"]
    config = files_under(folder.config) if folder.config.is_dir() else []
    return {
        "landing": {str(path.relative_to(landing)): file_stat(path)
                    for path in (files_under(landing) if landing.is_dir() else [])},
        "config": content_digest(config, folder.root) if config else None,
        "default_config": content_digest(files_under(DEFAULT_CONFIG_DIR), DEFAULT_CONFIG_DIR),
        "code": content_digest(code, PROJECT_ROOT),
        "engines": engine_versions(),
        "settings": {name: value for name, value in sorted(os.environ.items())
                     if name.startswith("MEMBRANA_") and name not in NEUTRAL_SETTINGS},
        "warehouse": file_stat(folder.warehouse),
        "snapshot": file_stat(folder.published / SNAPSHOT_FILE),
    }


def forget_night(folder: DataFolder) -> None:
    """Before a night changes anything: an interrupted or failed night leaves nothing to match."""
    (folder.logs / STATE_FILE).unlink(missing_ok=True)


def remember_night(folder: DataFolder, inputs_at_start: dict) -> None:
    """After a published night, with every file it wrote closed. The landing files, config, code and settings
    are those the night started with (`night_inputs` taken before it read anything): a file that landed or a
    config edited while it ran is new to the next night. The warehouse and the snapshot are as it left them."""
    import duckdb

    from orchestration.build.engine import built_tables
    from orchestration.quality.gates import newest_records
    from orchestration.quality.settings import DEFAULT_WARN_AFTER_DAYS

    with built_tables(folder) as tables:  # the staged records: in the warehouse, or on Spark
        newest = newest_records(tables, DEFAULT_WARN_AFTER_DAYS)
    with duckdb.connect(str(folder.warehouse), read_only=True) as con:  # the build state: in the warehouse
        built_through = con.execute(
            "select state_value from audit.build_state where state_key = 'built_through'").fetchone()[0]
    inputs = {**inputs_at_start, "warehouse": file_stat(folder.warehouse),
              "snapshot": file_stat(folder.published / SNAPSHOT_FILE)}
    state = {"inputs": inputs, "built_through": built_through,
             "newest_records": {source: day.isoformat() if day else None for source, day in newest.items()}}
    staged = folder.logs / f".{STATE_FILE}.tmp"
    staged.write_text(json.dumps(state, indent=1) + "\n")
    staged.replace(folder.logs / STATE_FILE)


def read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def quiet_night(folder: DataFolder, started_at: datetime) -> str | None:
    """When nothing changed since the last published night: this night's run report written, its human
    summary returned. None when the night has work to do (or cannot tell): the whole job runs."""
    state = read_json(folder.logs / STATE_FILE)
    last_report = read_json(folder.logs / "run_report.json")
    if not state or not last_report or last_report.get("status") != "published":
        return None
    if state.get("inputs") != night_inputs(folder):
        return None
    try:
        limits, _ = freshness_limits(folder.config)
        day = run_date(folder.config)
        newest = {source: date.fromisoformat(day) if day else None
                  for source, day in state["newest_records"].items()}
        freshness = freshness_outcome(newest, limits, day)
    except (QualityConfigError, KeyError, ValueError):
        return None  # the whole job reports a bad setting in its own words
    if not freshness.passed and freshness.severity == "error":
        return None  # a blocked night: the whole job blocks it and says why
    from orchestration.nightly.report_text import write_report
    from orchestration.nightly.run_history import append_run_history

    reason = f"no rows loaded since {state['built_through']}, no file, setting or code changed: a quiet night"
    report = quiet_report(last_report, day, freshness, reason, started_at)
    from orchestration.notify.night import notify_night

    # What was told is not told again; a message the last night could not deliver is tried again.
    report["notifications"] = notify_night(folder, report)
    summary = write_report(report, folder.logs)
    append_run_history(folder.logs, {"event": "run", "run_id": report["run_id"], "status": report["status"],
                                     "snapshot": report["published"].get("snapshot_id"), "reason": "",
                                     "quiet_night": True})
    return summary


def quiet_report(last: dict, day: date, freshness, reason: str, started_at: datetime) -> dict:
    """The last published night's report as this night's: same files, checks and snapshot; freshness anew."""
    records = []
    for record in last["check_results"]:
        record = dict(record)
        base = NOT_RE_RUN.sub("", record["summary"])
        if record["kind"] == "freshness":
            status = "passed" if freshness.passed else "warned"
            record.update(status=status, summary=freshness.summary)
        elif record["kind"] == "dbt_test":
            record["summary"] = f"{base} in the last build, not re-run ({reason})"
        elif record["kind"] == "expectations":
            record["summary"] = f"{base} (last validation, not re-run: {reason})"
        records.append(record)
    finished_at = datetime.now()
    files = [{**entry, "loaded_this_run": False} for entry in last["files"]]
    return {
        **last,
        "run_id": f"quiet-{uuid.uuid4()}",
        "run_date": day.isoformat(),
        "started_at": started_at.astimezone(UTC).isoformat(),
        "finished_at": finished_at.astimezone(UTC).isoformat(),
        "duration_seconds": round((finished_at - started_at).total_seconds(), 1),
        "files": files,
        "totals": {**last["totals"], "files_loaded_this_run": 0, "rows_loaded_this_run": 0},
        "checks": check_counts(record["status"] for record in records),
        "check_results": records,
        "dbt_build": {"rebuilt": False, "note": reason},
        "quiet_night": True,
    }
