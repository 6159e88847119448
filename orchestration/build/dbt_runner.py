"""dbt run in this process, through its Python entry point (dbtRunner), instead of a `dbt` subprocess per
invocation: no second interpreter to start, no `dbt --version` probe (which also looks for dbt's latest
release on the internet), no JSON log stream to parse event by event. dbt's partial parsing (its state kept
in the data folder's logs/dbt/) makes a night's parse cheap; the results come back as dbt's own objects."""

import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from orchestration.build.dbt_environment import dbt_environment
from orchestration.data_folder import DBT_PROJECT_DIR, PROJECT_ROOT, DataFolder
from orchestration.dbt_manifest import PROJECT_PARSE_PATH


class DbtInvocationError(Exception):
    """dbt stopped before or while running nodes; the message names the first failures."""


@dataclass(frozen=True)
class NodeResult:
    unique_id: str
    status: str  # dbt's: success, error, skipped, pass, fail, warn, no-op
    seconds: float
    failures: int | None  # a test's failing rows
    message: str | None
    rows_affected: int | None = None


@dataclass(frozen=True)
class DbtInvocation:
    success: bool
    results: list[NodeResult]  # in the order dbt finished them (parents before children)
    error: str | None = None  # why dbt stopped before running nodes (a parse or connection error)


def invoke_dbt(args: Sequence[str], folder: DataFolder, loaded_after: str | None = None,
               extra_environment: dict[str, str] | None = None) -> DbtInvocation:
    """Runs `dbt <args>` on the data folder's warehouse; its run_results.json and log go to logs/dbt/.

    dbt's manifest.json is not written there: dbt would write it twice a build (about half a second, more as
    the project grows), and nothing reads a data folder's copy (the definitions read the project's own,
    target/manifest.json). The run results are written from dbt's own result object, in dbt's format."""
    from dbt.cli.main import dbtRunner  # dbt's import costs a second or two: only when dbt runs

    name_flag_sources_by_frame()

    common = [
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(PROJECT_ROOT),
        "--target-path", str(folder.dbt_target), "--log-path", str(folder.dbt_target),
        "--no-send-anonymous-usage-stats", "--no-use-colors", "--no-write-json",
    ]
    start_from_project_parse(folder)
    with dbt_environment(folder, loaded_after, extra_environment):
        try:
            outcome = dbtRunner().invoke([*args, *common])
        finally:
            release_warehouse()
    run = outcome.result
    if hasattr(run, "write"):
        run.write(str(folder.dbt_target / "run_results.json"))
    if run is None or not hasattr(run, "results"):
        return DbtInvocation(False, [], first_line(str(outcome.exception)) if outcome.exception else "dbt failed")
    results = [
        NodeResult(
            unique_id=result.node.unique_id, status=str(result.status), seconds=round(result.execution_time, 3),
            failures=result.failures, message=result.message,
            rows_affected=(result.adapter_response or {}).get("rows_affected"),
        )
        for result in run.results
    ]
    error = None if outcome.exception is None else first_line(str(outcome.exception))
    return DbtInvocation(outcome.success, results, error)


@cache  # once per process: every later dbt invocation finds dbt_common already patched
def name_flag_sources_by_frame() -> None:
    """dbt names the module that declared each adapter behaviour flag (for a warning it may print) with
    `inspect.stack()`, evaluated even when the flag names its source: that reads the source of every frame and
    resolves the real path of every imported module, about a second in a process that has imported Dagster.
    The same name, read from the calling frames' globals instead."""
    from dbt_common.behavior_flags import BehaviorFlagRendered

    def calling_module() -> str:
        frame = sys._getframe(1)
        while frame is not None:
            module = frame.f_globals.get("__name__")
            if module and module != BehaviorFlagRendered.__module__:
                return module
            frame = frame.f_back
        return "Unknown"

    BehaviorFlagRendered._default_source = staticmethod(calling_module)


def start_from_project_parse(folder: DataFolder) -> None:
    """A folder's first build starts from the project's saved parse (made when the definitions load), not
    from nothing: dbt checks the saved state (its version, the profile, every file's hash) and parses again
    only what differs, so a stale copy costs a full parse, never a wrong one. About 10 s less for a new folder."""
    own_parse = folder.dbt_target / PROJECT_PARSE_PATH.name
    if own_parse.exists() or not PROJECT_PARSE_PATH.exists():
        return
    own_parse.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_PARSE_PATH, own_parse)


def release_warehouse() -> None:
    """dbt-duckdb keeps the warehouse file open in the process after dbt is done (a process-wide
    environment it reuses between invocations); the loader, the checks and the publish open it next."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    with DuckDBConnectionManager._LOCK:
        if DuckDBConnectionManager._ENV is not None:
            DuckDBConnectionManager._ENV.close()
            DuckDBConnectionManager._ENV = None


def failure_summary(invocation: DbtInvocation) -> str:
    """A headline for the user (the first failed model or test, and how many more), then every failed node
    with dbt's whole message (a settings error keeps its `Error: config/…` line)."""
    failed = [result for result in invocation.results if result.status in ("error", "fail")]
    if not failed:
        return invocation.error or "dbt failed"
    first = failed[0]
    what = "test" if first.unique_id.startswith(("test.", "unit_test.")) else "model"
    outcome = {"error": "errored", "fail": "failed"}[first.status]
    more = f" (+{len(failed) - 1} more)" if len(failed) > 1 else ""
    headline = f"{what} {first.unique_id.split('.')[2]} {outcome}: {first_line(first.message or '')}{more}"
    return "\n".join([headline, *(f"{result.unique_id} {result.status}: {(result.message or '').strip()}"
                                  for result in failed)])


def first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]
