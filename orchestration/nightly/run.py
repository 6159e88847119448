"""Runs the nightly job in this process (no UI, no daemon) and turns a failure into one line. The run is
recorded in the data folder's Dagster instance (orchestration/dagster_instance.py), where `make dev` shows it."""

import time
import uuid
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime

import dagster as dg

from orchestration.dagster_instance import LAUNCHED_BY_MEMBRANA_RUN, LAUNCHED_BY_TAG, open_instance
from orchestration.data_folder import DEFAULT_CONFIG_DIR, DataFolder
from orchestration.nightly.failure import failure_reason
from orchestration.nightly.quiet_night import forget_night, remember_night
from orchestration.nightly.run_history import append_run_history
from orchestration.nightly.run_lock import run_lock
from orchestration.nightly.run_timings import step_seconds, write_run_timings


@dataclass(frozen=True)
class RunOutcome:
    success: bool
    reason: str = ""
    report_summary: str = ""  # the run report's human summary (logs/run_report.md)
    published: bool = False


def run_nightly_job(folder: DataFolder, full_refresh: bool = False, listener=None) -> RunOutcome:
    """`listener`, when given, is called with every event of the run as it happens (progress display).

    Holds the data folder's run lock from before the run log is opened to after the report is written;
    raises RunInProgress, touching nothing, when another process holds it (`membrana run` holds it already)."""
    with run_lock(folder):
        forget_night(folder)
        outcome = locked_nightly_job(folder, full_refresh, listener)
        if outcome.published:
            remember_night(folder)
        return outcome


def locked_nightly_job(folder: DataFolder, full_refresh: bool, listener) -> RunOutcome:
    from orchestration.definitions import membrana_definitions

    job = membrana_definitions(folder).resolve_job_def("nightly_job")
    with open_instance(folder) as instance:
        return run_on_instance(folder, job, instance, full_refresh, listener)


def run_on_instance(folder: DataFolder, job, instance: dg.DagsterInstance, full_refresh: bool,
                    listener) -> RunOutcome:
    run_id = str(uuid.uuid4())
    if listener is not None:
        instance.add_event_listener(run_id, listener)
    run_config = {
        "ops": {"membrana_dbt_models": {"config": {"full_refresh": full_refresh}}},
        "loggers": {"console": {"config": {"log_level": "ERROR"}}},
    }
    log_dir = folder.logs
    log_dir.mkdir(exist_ok=True)
    started = time.monotonic()
    started_at = datetime.now()
    # dbt's and Dagster's own output goes to the run log; the user sees the summary or one line.
    with open(log_dir / "last_run.log", "w") as log, redirect_stdout(log), redirect_stderr(log):
        result = job.execute_in_process(
            run_config=run_config, raise_on_error=False, instance=instance, run_id=run_id,
            tags={LAUNCHED_BY_TAG: LAUNCHED_BY_MEMBRANA_RUN},  # it notifies itself, not the UI's sensors
        )
    write_run_timings(log_dir / "last_run_timings.json", total_seconds=time.monotonic() - started,
                      steps=step_seconds(instance, run_id), success=result.success)
    reason = "" if result.success else failure_reason(result)
    from orchestration.nightly.report_text import write_report
    from orchestration.nightly.run_report import build_report

    report = build_report(result, set(job.asset_layer.asset_graph.asset_check_keys), folder, started_at, datetime.now(),
                          reason)
    from orchestration.notify.night import notify_night

    report["notifications"] = notify_night(folder, report)  # undelivered: a warning of the report, never a failure
    summary = write_report(report, log_dir)
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
    return RunOutcome(result.success, reason, summary, published=report["status"] == "published")
