"""Runs the nightly job in this process (no UI, no daemon) and turns a failure into one line. The run is
recorded in the data folder's Dagster instance (orchestration/dagster_instance.py), where `make dev` shows it."""

import io
import shutil
import time
import uuid
from contextlib import nullcontext, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg

from orchestration.dagster_instance import (
    LAUNCHED_BY_MEMBRANA_RUN,
    LAUNCHED_BY_TAG,
    dagster_home,
    open_instance,
)
from orchestration.data_folder import DEFAULT_CONFIG_DIR, DataFolder
from orchestration.nightly.failure import failure_reason, run_fault
from orchestration.nightly.faults import FaultError, instance_storage_fault, system_fault
from orchestration.nightly.quiet_night import forget_night, night_inputs, remember_night
from orchestration.nightly.run_history import append_run_history
from orchestration.nightly.run_lock import run_lock
from orchestration.nightly.run_timings import step_seconds, write_run_timings


@dataclass(frozen=True)
class RunOutcome:
    success: bool
    reason: str = ""
    report_summary: str = ""  # the run report's human summary (logs/run_report.md)
    exit_code: int = 0  # of `membrana run`: 1 failed, 5 the warehouse cannot be used, 6 disk full or no access
    published: bool = False


def run_nightly_job(folder: DataFolder, full_refresh: bool = False, listener=None) -> RunOutcome:
    """`listener`, when given, is called with every event of the run as it happens (progress display).

    Holds the data folder's run lock from before the run log is opened to after the report is written;
    raises RunInProgress, touching nothing, when another process holds it (`membrana run` holds it already)."""
    with run_lock(folder):
        forget_night(folder)
        inputs_at_start = night_inputs(folder)
        try:
            outcome = locked_nightly_job(folder, full_refresh, listener)
        except FaultError as error:  # found before the job started
            return RunOutcome(False, error.fault.line, exit_code=error.fault.exit_code)
        except OSError as error:  # the run's own files (log, report) on a full disk or out of reach
            fault = system_fault(str(error), error.filename)
            if fault is None:
                raise
            return RunOutcome(False, fault.line, exit_code=fault.exit_code)
        except Exception as error:  # the Dagster instance's SQLite storage on a full disk
            fault = instance_storage_fault(str(error), dagster_home(folder))
            if fault is None:
                raise
            return RunOutcome(False, fault.line, exit_code=fault.exit_code)
        if outcome.published:
            remember_night(folder, inputs_at_start)
        return outcome


def snapshot_config(folder: DataFolder) -> DataFolder:
    """The data folder with its config/ as it is now, copied to logs/run_config/: every step of the run reads
    that copy, so a config file edited while the run goes takes effect from the next run, never half-way."""
    snapshot = folder.logs / "run_config"
    shutil.rmtree(snapshot, ignore_errors=True)
    if folder.config.is_dir():
        shutil.copytree(folder.config, snapshot)
    else:
        snapshot.mkdir(parents=True)
    return DataFolder(folder.root, config_dir=snapshot)


def locked_nightly_job(folder: DataFolder, full_refresh: bool, listener) -> RunOutcome:
    from orchestration.definitions import membrana_definitions
    from orchestration.warehouse import check_warehouse

    check_warehouse(folder.warehouse)
    folder.logs.mkdir(exist_ok=True)
    own_config, folder = folder.config, snapshot_config(folder)
    job = membrana_definitions(folder).resolve_job_def("nightly_job")
    with open_instance(folder) as instance:
        return run_on_instance(folder, own_config, job, instance, full_refresh, listener)


def warehouse_kept_open(folder: DataFolder):
    """The warehouse held open for the job's steps (warehouse.kept_open), on DuckDB: a night on Spark exports the
    raw layer during the job through a read-only connection, which cannot join a database open for writing."""
    from orchestration.build.engine import dbt_target
    from orchestration.warehouse import kept_open

    return kept_open(folder.warehouse) if dbt_target() == "duckdb" else nullcontext()


def run_on_instance(folder: DataFolder, own_config: Path, job, instance: dg.DagsterInstance, full_refresh: bool,
                    listener) -> RunOutcome:
    run_id = str(uuid.uuid4())
    if listener is not None:
        instance.add_event_listener(run_id, listener)
    run_config = {
        "ops": {"membrana_dbt_models": {"config": {"full_refresh": full_refresh}}},
        "loggers": {"console": {"config": {"log_level": "ERROR"}}},
    }
    log_dir = folder.logs
    started = time.monotonic()
    started_at = datetime.now()
    # dbt's and Dagster's own output goes to the run log; the user sees the summary or one line.
    with RunLog(log_dir / "last_run.log") as log, redirect_stdout(log), redirect_stderr(log), \
            warehouse_kept_open(folder):
        result = job.execute_in_process(
            run_config=run_config, raise_on_error=False, instance=instance, run_id=run_id,
            tags={LAUNCHED_BY_TAG: LAUNCHED_BY_MEMBRANA_RUN},  # it notifies itself, not the UI's sensors
        )
    fault = None if result.success else run_fault(result, folder)
    # messages name the config file the user edits, not its copy the run read
    reason = "" if result.success else failure_reason(result, folder).replace(str(folder.config), str(own_config))
    exit_code = 0 if result.success else fault.exit_code if fault else 1
    try:
        write_run_timings(log_dir / "last_run_timings.json", total_seconds=time.monotonic() - started,
                          steps=step_seconds(instance, run_id), success=result.success)
        from orchestration.nightly.report_text import write_report
        from orchestration.nightly.run_report import build_report

        report = build_report(result, set(job.asset_layer.asset_graph.asset_check_keys), folder, started_at,
                              datetime.now(), reason)
        from orchestration.notify.night import notify_night

        report["notifications"] = notify_night(folder, report)  # undelivered: a warning of the report, never a failure
        summary = write_report(report, log_dir)
    except OSError:
        if result.success:
            raise
        # the disk the failed step filled has no room for the report either: the step's line is what counts
        return RunOutcome(False, reason, "", exit_code)
    kept = [log_dir / "run_report.json", log_dir / "run_report.md"]
    if report["status"] == "published":
        # The dashboard asset rendered before this run's report existed: render it again so that its
        # "last run" section is this run, not the one before.
        from orchestration.publish.dashboard import dashboard_language, write_dashboard

        kept.append(write_dashboard(folder.root, dashboard_language(folder.config, DEFAULT_CONFIG_DIR)))
    snapshot_id = report["published"]["snapshot_id"]
    if snapshot_id:  # kept with the snapshot this run published, for `membrana snapshots` and a rollback
        from orchestration.publish.history import attach_to_snapshot

        attach_to_snapshot(folder.published, snapshot_id, kept)
    append_run_history(log_dir, {"event": "run", "run_id": report["run_id"], "status": report["status"],
                                 "snapshot": snapshot_id, "reason": reason})
    return RunOutcome(result.success, reason, summary, exit_code, published=report["status"] == "published")


class RunLog(io.TextIOBase):
    """The run log. On a full disk it stops writing instead of raising: the failure of the step that filled the
    disk must reach the user, not a failed write of the log hiding it."""

    def __init__(self, path: Path):
        self.handle = open(path, "w")  # noqa: SIM115 - closed by close()
        self.lost = False

    def write(self, text: str) -> int:
        if not self.lost:
            try:
                self.handle.write(text)
            except OSError:
                self.lost = True
        return len(text)

    def flush(self) -> None:
        if not self.lost and not self.handle.closed:
            try:
                self.handle.flush()
            except OSError:
                self.lost = True

    def fileno(self) -> int:
        return self.handle.fileno()

    def writable(self) -> bool:
        return True

    def close(self) -> None:
        self.flush()
        try:
            self.handle.close()
        except OSError:
            pass  # what did not fit is lost; the run's outcome is not
        super().close()
