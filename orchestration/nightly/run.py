"""Runs the nightly job in this process (no UI, no daemon) and turns a failure into one line."""

import io
import json
import re
import shutil
import time
import uuid
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import dagster as dg

from orchestration.data_folder import DEFAULT_CONFIG_DIR, DataFolder
from orchestration.nightly.faults import Fault, FaultError, fault_in, named_path, system_fault
from orchestration.nightly.run_lock import run_lock
from orchestration.nightly.run_timings import step_seconds, write_run_timings


@dataclass(frozen=True)
class RunOutcome:
    success: bool
    reason: str = ""
    report_summary: str = ""  # the run report's human summary (logs/run_report.md)
    exit_code: int = 0  # of `membrana run`: 1 failed, 5 the warehouse cannot be used, 6 disk full or no access


def run_nightly_job(folder: DataFolder, full_refresh: bool = False, listener=None) -> RunOutcome:
    """`listener`, when given, is called with every event of the run as it happens (progress display).

    Holds the data folder's run lock from before the run log is opened to after the report is written;
    raises RunInProgress, touching nothing, when another process holds it (`membrana run` holds it already)."""
    with run_lock(folder):
        try:
            return locked_nightly_job(folder, full_refresh, listener)
        except FaultError as error:  # found before the job started
            return RunOutcome(False, error.fault.line, exit_code=error.fault.exit_code)
        except OSError as error:  # the run's own files (log, report) on a full disk or out of reach
            fault = system_fault(str(error), error.filename)
            if fault is None:
                raise
            return RunOutcome(False, fault.line, exit_code=fault.exit_code)


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
    instance = dg.DagsterInstance.ephemeral()
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
    with RunLog(log_dir / "last_run.log") as log, redirect_stdout(log), redirect_stderr(log):
        result = job.execute_in_process(
            run_config=run_config, raise_on_error=False, instance=instance, run_id=run_id
        )
    fault = None if result.success else run_fault(result, folder)
    # messages name the config file the user edits, not its copy the run read
    reason = "" if result.success else failure_reason(result, folder).replace(str(folder.config), str(own_config))
    exit_code = 0 if result.success else fault.exit_code if fault else 1
    try:
        write_run_timings(log_dir / "last_run_timings.json", total_seconds=time.monotonic() - started,
                          steps=step_seconds(instance, run_id), success=result.success)
        from orchestration.nightly.run_report import build_report, write_report

        report = build_report(result, set(job.asset_layer.asset_graph.asset_check_keys), folder, started_at,
                              datetime.now(), reason)
        summary = write_report(report, log_dir)
    except OSError:
        if result.success:
            raise
        # the disk the failed step filled has no room for the report either: the step's line is what counts
        return RunOutcome(False, reason, "", exit_code)
    if report["status"] == "published":
        # The dashboard asset rendered before this run's report existed: render it again so that its
        # "last run" section is this run, not the one before.
        from orchestration.publish.dashboard import dashboard_language, write_dashboard

        write_dashboard(folder.root, dashboard_language(folder.config, DEFAULT_CONFIG_DIR))
    return RunOutcome(result.success, reason, summary, exit_code)


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


def error_texts(error) -> list[str]:
    """The messages of an error and of every error it was raised from or during."""
    texts, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        texts.append(error.message or "")
        error = error.cause or getattr(error, "context", None)
    return texts


def run_fault(result: dg.ExecuteInProcessResult, folder: DataFolder) -> Fault | None:
    """A full disk, a path out of reach or a damaged warehouse behind a failed step (dbt's own failures
    included), whatever the step said on top of it."""
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE:
            step, error = "setting up the run", event.event_specific_data.error
        elif event.event_type == dg.DagsterEventType.STEP_FAILURE:
            step, error = event.step_key or "a step", event.step_failure_data.error
        else:
            continue
        texts = error_texts(error)
        # the error that names the file it could not write or read first (dbt's own, under its OSError)
        texts.sort(key=lambda text: not named_path(text))
        for text in texts:
            if fault := fault_in(text, folder.warehouse):
                step = "dbt build" if step == "membrana_dbt_models" else step
                return Fault(f"{step}: {fault.line}", fault.exit_code)
    return None


def failure_reason(result: dg.ExecuteInProcessResult, folder: DataFolder) -> str:
    fault = run_fault(result, folder)
    if fault:
        return fault.line
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.RESOURCE_INIT_FAILURE:  # before any step ran
            error = event.event_specific_data.error
            message = (error.message if error else "unknown error").strip().splitlines()[0]
            if error and error.cls_name == "RunInProgress":  # our own one line, without the class name
                return message.split(": ", 1)[-1]
            return f"resources could not be set up: {message}"
        if event.event_type != dg.DagsterEventType.STEP_FAILURE:
            continue
        step = event.step_key or "a step"
        error = event.step_failure_data.error
        if error and error.cls_name == "DagsterAssetCheckFailedError":
            return blocked_by_checks(result)
        cause = error.cause if error and error.cause else error
        if step == "membrana_dbt_models" and not (cause and cause.cls_name == "ReconciliationError"):
            return settings_error(error, cause) or f"dbt build: {dbt_failure(folder.dbt_target)}"
        if step == "published_marts" and "Failure" in str(event.step_failure_data.error.cls_name):
            continue  # the publish gate refused because of the failure reported above
        message = (cause.message if cause else "unknown error").strip().splitlines()[0]
        if cause and cause.cls_name in ("LandingError", "ReconciliationError"):
            message = message.split(": ", 1)[-1]  # our own one-line message, without the class name
        return f"{step}: {message}"
    return "the run did not succeed (no failed step reported)"


# A model that meets settings it cannot use fails with a sentence naming the config file (macro raise_error).
SETTINGS_ERROR = re.compile(r"Error: (config/[\w.]+: .*)$")


def settings_error(*errors) -> str | None:
    """The one-line settings error a dbt model raised, if that is why the build failed."""
    for error in errors:
        for line in (error.message if error else "").splitlines():
            found = SETTINGS_ERROR.search(line.strip())
            if found:
                return found.group(1)
    return None


def blocked_by_checks(result: dg.ExecuteInProcessResult) -> str:
    """Names the blocking checks that failed and why; the previous snapshot stays published."""
    failed = [
        evaluation for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.blocking and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]
    named = "; ".join(f"check {e.check_name} on {e.asset_key.to_user_string()} failed: {e.description}" for e in failed)
    return f"{named or 'a blocking check failed'} (nothing published: the previous snapshot stays)"


def dbt_failure(dbt_target: Path) -> str:
    """The first failing model or test of the last dbt invocation, from its run_results.json."""
    try:
        results = json.loads((dbt_target / "run_results.json").read_text())["results"]
    except (OSError, ValueError, KeyError):
        return f"dbt failed before running any model (see {dbt_target / 'dbt.log'})"
    failed = [r for r in results if r.get("status") in ("error", "fail")]
    if not failed:
        return f"dbt failed (see {dbt_target / 'dbt.log'})"
    first = failed[0]
    what = "test" if first["unique_id"].startswith("test.") else "model"
    name = first["unique_id"].split(".")[2]
    message = (first.get("message") or "").strip().splitlines()
    more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
    outcome = {"error": "errored", "fail": "failed"}[first["status"]]
    return f"{what} {name} {outcome}: {message[0] if message else ''}{more}"
