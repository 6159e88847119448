"""Why a run did not succeed, in one line: the first failed step, the blocking checks, the dbt model or test
that failed, or the settings mistake a model raised. Reads a run's events: an in-process result of
`membrana run`, or a finished run read back from the Dagster instance (notify/dagster_runs.py)."""

import re

import dagster as dg

from orchestration.build.dbt_runner import first_line
from orchestration.data_folder import DataFolder
from orchestration.nightly.faults import Fault, fault_in, named_path


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
            message = first_line(error.message if error else "unknown error")
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
        if step == "membrana_dbt_models" and cause and cause.cls_name == "DbtBuildFailed":
            return settings_error(error, cause) or f"dbt build: {first_line(cause.message)}"
        if step == "published_marts" and "Failure" in str(event.step_failure_data.error.cls_name):
            continue  # the publish gate refused because of the failure reported above
        message = first_line(cause.message if cause else "unknown error")
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
