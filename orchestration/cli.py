"""The `membrana` command: run the nightly job, plan capacity, report status, list the kept snapshots and
roll back to one, render the dashboard, export marts, serve the dbt docs, write demo data.

Every failure a user can cause ends in one line on stderr and a non-zero exit code, never a traceback.
"""

import argparse
import json
import logging
import os
import subprocess
import sys
import time
import traceback
import warnings
from datetime import date, datetime
from pathlib import Path

from orchestration.data_folder import (
    DBT_EXECUTABLE,
    DBT_PROJECT_DIR,
    DEFAULT_CONFIG_DIR,
    DEMO_DATA_DIR,
    PROJECT_ROOT,
    DataFolder,
    data_folder_from_environment,
)

EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NOT_PUBLISHED = 3
EXIT_RUN_IN_PROGRESS = 4
EXIT_WAREHOUSE_UNUSABLE = 5  # as orchestration/nightly/faults.py
EXIT_SYSTEM_FAULT = 6

EXIT_CODES = """exit codes (every command):
  0  done (status: the last run succeeded and a snapshot is published)
  1  failed: the run or a step failed (status: the last run failed; the previous snapshot stays published)
  2  bad input: a wrong flag or value, a data folder that does not exist, a snapshot not kept (rollback --to)
  3  nothing published yet (status, dashboard, export, metrics, snapshots): run `membrana run` first;
     rollback: no snapshot kept before the published one
  4  another run holds the data folder (run, rollback): it is named; try later, or `membrana run --wait`
  5  the warehouse (warehouse.duckdb) is damaged or from a newer DuckDB (run): `membrana run --rebuild`
     recreates it from landing/ and config/; the previous snapshot stays published
  6  the disk is full, or a file or folder cannot be read or written (permissions): the path is named;
     the previous snapshot stays published"""


def fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"membrana: {message}", file=sys.stderr)
    return code


def chosen_folder(args: argparse.Namespace) -> DataFolder:
    """--data-dir, else MEMBRANA_DATA_DIR, else the demo folder."""
    given = getattr(args, "data_dir", None)
    return DataFolder(given) if given else data_folder_from_environment()


def command_run(args: argparse.Namespace) -> int:
    folder = chosen_folder(args)
    if not folder.root.is_dir():
        return fail(f"data folder {folder.root} does not exist (set MEMBRANA_DATA_DIR)", EXIT_BAD_INPUT)
    from orchestration.warehouse import MemorySettingError, check_memory_setting

    try:
        check_memory_setting()
    except MemorySettingError as error:
        return fail(str(error), EXIT_BAD_INPUT)
    from orchestration.nightly.faults import system_fault
    from orchestration.nightly.run_lock import RunInProgress, run_lock

    # One run at a time per data folder, from the load to the last line of the report (nightly/run_lock.py).
    try:
        with run_lock(folder, wait=args.wait, on_wait=announce_waiting):
            return locked_run(args, folder)
    except RunInProgress as busy:
        advice = "" if busy.waited else "; try later, or `membrana run --wait`"
        return fail(f"{busy}{advice}", EXIT_RUN_IN_PROGRESS)
    except OSError as error:  # the lock or the run's record on a full disk, or in a folder out of reach
        fault = system_fault(str(error), error.filename)
        if fault is None:
            raise
        return fail(f"nightly run failed: {fault.line}", fault.exit_code)


def announce_waiting(holder) -> None:
    if sys.stderr.isatty():  # under cron a wait says nothing (the run's outcome is what matters)
        print(f"membrana: waiting for the run in progress ({holder.describe()})", file=sys.stderr)


def locked_run(args: argparse.Namespace, folder: DataFolder) -> int:
    started_at, started = datetime.now(), time.monotonic()
    from orchestration.nightly.status import write_last_run

    if args.rebuild:
        rebuild_announcement(folder, started_at)
    elif not args.full_refresh and (quiet := quiet_night_run(folder, started_at, started)) is not None:
        return quiet
    from orchestration.nightly.run import run_nightly_job  # heavy imports only when needed

    outcome = run_with_progress(run_nightly_job, folder, full_refresh=args.full_refresh or args.rebuild)
    seconds = time.monotonic() - started
    write_last_run(folder.logs, started_at, seconds, outcome.success, outcome.reason,
                   last_dbt_results(folder, since=started_at.timestamp()))
    if not outcome.success:  # one line on stderr; the whole story is in logs/run_report.md
        return fail(f"nightly run failed: {outcome.reason}", outcome.exit_code or EXIT_FAILED)
    from orchestration.publish.summary import kpi_summary

    print(kpi_summary(folder.published, seconds=seconds))
    print(outcome.report_summary)
    dashboard = folder.published / "dashboard.html"
    if dashboard.exists():
        print(f"Dashboard: {dashboard}")
    return 0


def quiet_night_run(folder: DataFolder, started_at: datetime, started: float) -> int | None:
    """A night on which nothing changed ends here, without Dagster or dbt (nightly/quiet_night.py)."""
    from orchestration.nightly.quiet_night import quiet_night
    from orchestration.nightly.status import write_last_run

    summary = quiet_night(folder, started_at)
    if summary is None:
        return None
    from orchestration.publish.dashboard import dashboard_language, write_dashboard
    from orchestration.publish.summary import kpi_summary

    dashboard = write_dashboard(folder.root, dashboard_language(folder.config, DEFAULT_CONFIG_DIR))
    seconds = time.monotonic() - started
    write_last_run(folder.logs, started_at, seconds, True, "", None)
    print(kpi_summary(folder.published, seconds=seconds))
    print(summary)
    print(f"Dashboard: {dashboard}")
    return 0


def rebuild_announcement(folder: DataFolder, started_at: datetime) -> None:
    """`run --rebuild`: the warehouse moved aside (kept, not deleted), then built again from landing/ and config/."""
    from orchestration.warehouse import move_warehouse_aside

    kept = move_warehouse_aside(folder.warehouse, started_at.strftime("%Y%m%dT%H%M%S"))
    was = f"the old one is kept as {kept}" if kept else "there was none"
    print(f"Rebuilding the warehouse {folder.warehouse} from landing/ and config/ ({was})", flush=True)


def run_with_progress(run_nightly_job, folder: DataFolder, full_refresh: bool):
    from orchestration.nightly.progress import RunProgress, progress_wanted

    if not progress_wanted():
        return run_nightly_job(folder, full_refresh=full_refresh)
    from orchestration.definitions import membrana_definitions

    with RunProgress(total_assets=len(membrana_definitions(folder).resolve_all_asset_keys())) as progress:
        return run_nightly_job(folder, full_refresh=full_refresh, listener=progress.on_event)


def last_dbt_results(folder: DataFolder, since: float) -> dict | None:
    """Models and tests by status, from the run_results.json this run's dbt build wrote (None: dbt did not run)."""
    from orchestration.nightly.status import dbt_results_summary

    run_results = folder.dbt_target / "run_results.json"
    try:
        return dbt_results_summary(run_results) if run_results.stat().st_mtime >= since else None
    except (OSError, ValueError, KeyError):
        return None


def require_snapshot(folder: DataFolder) -> int | None:
    from orchestration.publish.snapshot import snapshot_path

    snapshot = snapshot_path(folder.published)  # a pre-v2 published/marts.duckdb too, until the next run
    if not snapshot.exists():
        return fail(f"nothing published yet at {snapshot}: run `membrana run` first", EXIT_NOT_PUBLISHED)
    return None


def command_status(args: argparse.Namespace) -> int:
    from orchestration.nightly.status import collect_status, format_status, status_exit_code

    status = collect_status(chosen_folder(args).root, date.today())
    print(json.dumps(status, indent=2) if args.json else format_status(status))
    return status_exit_code(status)


def command_snapshots(args: argparse.Namespace) -> int:
    from orchestration.publish.history import SnapshotHistoryError
    from orchestration.publish.rollback import format_snapshots, list_snapshots

    folder = chosen_folder(args)
    if not folder.root.is_dir():
        return fail(f"data folder {folder.root} does not exist (set MEMBRANA_DATA_DIR)", EXIT_BAD_INPUT)
    try:
        listing = list_snapshots(folder)
    except SnapshotHistoryError as error:
        return fail(str(error), EXIT_BAD_INPUT)
    if not listing["snapshots"]:
        return fail(f"no snapshot kept yet in {folder.published / 'history'}: run `membrana run` first",
                    EXIT_NOT_PUBLISHED)
    print(json.dumps(listing, indent=2) if args.json else format_snapshots(listing))
    return 0


def command_rollback(args: argparse.Namespace) -> int:
    from orchestration.nightly.run_lock import RunInProgress
    from orchestration.publish.rollback import NoSnapshotToRollBackTo, UnknownSnapshot, rollback

    folder = chosen_folder(args)
    if not folder.root.is_dir():
        return fail(f"data folder {folder.root} does not exist (set MEMBRANA_DATA_DIR)", EXIT_BAD_INPUT)
    try:
        done = rollback(folder, args.to)
    except RunInProgress as busy:
        return fail(f"{busy}; roll back when it has finished", EXIT_RUN_IN_PROGRESS)
    except UnknownSnapshot as error:
        return fail(str(error), EXIT_BAD_INPUT)
    except NoSnapshotToRollBackTo as error:
        return fail(str(error), EXIT_NOT_PUBLISHED)
    if not done.changed:
        print(f"snapshot {done.republished} is already the published one: nothing to do")
    else:
        print(f"rolled back: snapshot {done.republished} is published again (it replaced "
              f"{done.replaced or 'an unknown snapshot'}): {folder.published / 'membrana.duckdb'}, "
              f"{folder.published / 'parquet'}, {folder.published / 'dashboard.html'}")
    return 0


def command_dashboard(args: argparse.Namespace) -> int:
    from orchestration.publish.dashboard import dashboard_language, write_dashboard

    folder = chosen_folder(args)
    if (missing := require_snapshot(folder)) is not None:
        return missing
    try:
        language = args.language or dashboard_language(folder.config, DEFAULT_CONFIG_DIR)
    except ValueError as error:
        return fail(str(error), EXIT_BAD_INPUT)
    print(write_dashboard(folder.root, language))
    return 0


def command_export(args: argparse.Namespace) -> int:
    from orchestration.publish.export import ExportError, export_marts

    folder = chosen_folder(args)
    if (missing := require_snapshot(folder)) is not None:
        return missing
    try:
        written = export_marts(folder.published, Path(args.out), args.mart, args.format)
    except ExportError as error:
        return fail(str(error), EXIT_BAD_INPUT)
    for path, rows in written.values():
        print(f"{path}  {rows:,} rows")
    return 0


def command_docs(args: argparse.Namespace) -> int:
    """dbt docs of the project, with the warehouse's catalog; served on localhost unless --no-serve."""
    folder = chosen_folder(args)
    if not folder.warehouse.exists():
        return fail(f"no warehouse at {folder.warehouse}: run `membrana run` first", EXIT_NOT_PUBLISHED)
    dbt = DBT_EXECUTABLE
    target = folder.root / "dbt_docs"
    common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(PROJECT_ROOT), "--target-path", str(target)]
    from orchestration.build.dbt_environment import DBT_SENDS_NOTHING

    # profiles.yml: the warehouse; no usage statistics (the docs page then loads no tracker either)
    environment = {**os.environ, "MEMBRANA_DATA_DIR": str(folder.root), **DBT_SENDS_NOTHING}
    generated = subprocess.run([str(dbt), "docs", "generate", *common, "--quiet"],
                               capture_output=True, text=True, check=False, env=environment)
    if generated.returncode != 0:
        lines = (generated.stdout + generated.stderr).strip().splitlines()
        reason = next((line for line in lines if "rror" in line), lines[-1] if lines else "no output")
        return fail(f"dbt docs generate failed: {reason.strip()}")
    print(f"dbt docs written to {target / 'index.html'}")
    if args.no_serve:
        return 0
    print(f"serving on http://localhost:{args.port} (Ctrl-C to stop)")
    served = subprocess.run([str(dbt), "docs", "serve", *common, "--host", "127.0.0.1", "--port", str(args.port),
                             "--no-browser"],
                            check=False, env=environment)
    return 0 if served.returncode in (0, -2, 130) else EXIT_FAILED


def command_metrics(args: argparse.Namespace) -> int:
    """Metrics of the semantic layer at the grain asked for, on the published snapshot (never the warehouse)."""
    from orchestration.metrics.semantic_layer import (
        MetricsNotPublished,
        MetricsQuery,
        MetricsQueryError,
        query_metrics,
    )

    folder = chosen_folder(args)
    if (missing := require_snapshot(folder)) is not None:
        return missing
    query = MetricsQuery(metrics=tuple(comma_list(args.metrics)), by=tuple(comma_list(args.by)),
                         since=args.since, until=args.until)
    try:
        frame = query_metrics(folder.published, query)
    except MetricsNotPublished as error:
        return fail(str(error), EXIT_NOT_PUBLISHED)
    except MetricsQueryError as error:
        return fail(str(error), EXIT_BAD_INPUT)
    print(frame.to_csv(index=False) if args.csv else frame.to_string(index=False, na_rep="—"), end="" if args.csv else "\n")
    return 0


def comma_list(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def command_plan(argv: list[str]) -> int:
    from orchestration.planning.defaults import published_plan_defaults
    from orchestration.planning.planner import PlanInputError, PlanInputs, parse_plan_args, plan, validate

    try:
        given, as_json = parse_plan_args(argv)
        missing = [name for name, value in given.items() if value is None]
        defaults = published_plan_defaults(data_folder_from_environment().published, missing) if missing else {}
        inputs = PlanInputs(**{**given, **{k: v for k, v in defaults.items() if given.get(k) is None}})
        validate(inputs)
    except PlanInputError as error:
        return fail(str(error), EXIT_BAD_INPUT)
    result = plan(inputs)
    if as_json:
        print(json.dumps(result))
    else:
        width = max(len(key) for key in result)
        for key, value in result.items():
            print(f"{key:<{width}}  {value:,.1f}")
    return 0


def command_demo(args: argparse.Namespace) -> int:
    from orchestration.demo.company import generate_company

    summary = generate_company(
        Path(args.out), contacts=args.contacts, years=args.years, seed=args.seed, bad_rows=not args.clean
    )
    counts = ", ".join(f"{entity} {count:,}" for entity, count in summary["rows"].items())
    print(f"demo company written to {Path(args.out).resolve()}: {counts}")
    return 0


def wait_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0 or seconds == float("inf"):
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}")
    return seconds


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="membrana",
        description="Marketing-and-sales funnel warehouse: raw CRM and ad exports in, audited KPI marts out. "
        "Works on the data folder $MEMBRANA_DATA_DIR (unset: the demo folder data/demo).",
        epilog=EXIT_CODES, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="the nightly job: load → dbt build and tests → publish",
        description="Loads new files of $MEMBRANA_DATA_DIR/landing, builds and tests the marts, and publishes "
        "them to published/ when every check passed. One run at a time per data folder: while another run "
        "holds it (logs/run.lock says which), exits 4, or waits with --wait.",
    )
    run.add_argument("--data-dir", type=Path, help="data folder (default: $MEMBRANA_DATA_DIR or the demo)")
    run.add_argument("--full-refresh", action="store_true", help="rebuild every day, not only the changed ones")
    run.add_argument("--rebuild", action="store_true",
                     help="move warehouse.duckdb aside (kept as warehouse.duckdb.before-rebuild-<time>) and build it "
                     "again from landing/ and config/, the source of truth: for a damaged warehouse (exit code 5)")
    run.add_argument("--wait", type=wait_seconds, nargs="?", const=None, default=0, metavar="SECONDS",
                     help="when another run holds the data folder, wait for it to finish (at most SECONDS if "
                     "given) instead of exiting with code 4")

    commands.add_parser(
        "plan", add_help=False,
        help="capacity planner: contacts, meetings and staff needed to fill production (see `membrana plan -h`)",
    )

    status = commands.add_parser(
        "status", help="the last run, its checks, freshness per source and where the outputs are",
        description="Reads what the last run left behind; never waits for a running build. Exit code 0: the last "
        "run succeeded; 1: it failed (the previous snapshot stays published); 3: nothing published yet.",
    )
    status.add_argument("--json", action="store_true", help="one JSON object instead of text (for scripts)")

    snapshots = commands.add_parser(
        "snapshots", help="the published snapshots kept (when, landing files, rows per mart, checks)",
        description="Lists the snapshots kept in published/history/, newest first: when each was published, the "
        "run and its checks, the landing files it was built from and its rows per mart. How many are kept: "
        "`keep` in config/snapshots.csv (default 7).",
    )
    snapshots.add_argument("--json", action="store_true", help="one JSON object instead of text (for scripts)")

    rollback = commands.add_parser(
        "rollback", help="publish an earlier kept snapshot again (snapshot, Parquet, dashboard)",
        description="Republishes a snapshot kept in published/history/ — published/membrana.duckdb, the "
        "published/parquet link and published/dashboard.html — each replaced in one rename (readers holding "
        "the old files keep reading them). Holds the data folder like a run (exits 4 while a run holds it) and "
        "writes a line in logs/run_history.jsonl. The warehouse is untouched: the next run that publishes "
        "replaces the snapshot again.",
    )
    rollback.add_argument("--to", metavar="WHEN",
                          help="the snapshot's id or time as `membrana snapshots` lists it (default: the one "
                          "before the published one)")

    dashboard = commands.add_parser(
        "dashboard", help="render published/dashboard.html again from the snapshot (e.g. in another language)",
        description="Every successful run writes the dashboard; this renders it again from the published "
        "snapshot. Language: --language, else MEMBRANA_LANGUAGE, else `language` in config/dashboard.csv.",
    )
    dashboard.add_argument("--language", choices=["en", "ru"], help="labels in English or Russian")

    export = commands.add_parser(
        "export", help="published marts as CSV, Parquet or Excel files",
        description="Writes each published mart (or only those named with --mart) to OUT/<mart>.<format>.",
    )
    export.add_argument("--mart", action="append", default=[], help="a mart to export (repeatable; default: all)")
    export.add_argument("--format", choices=["csv", "parquet", "xlsx"], default="csv", help="file format (default csv)")
    export.add_argument("--out", default="membrana-export", help="folder to write (default: ./membrana-export)")

    docs = commands.add_parser(
        "docs", help="build the dbt docs (models, columns, lineage) and serve them on localhost",
        description="Runs `dbt docs generate` against the warehouse into DATA_DIR/dbt_docs/ and serves it.",
    )
    docs.add_argument("--port", type=int, default=8080, help="port to serve on (default 8080)")
    docs.add_argument("--no-serve", action="store_true", help="only build the docs")

    metrics = commands.add_parser(
        "metrics", help="KPIs at any grain (week, channel group…) from the metrics layer, on the published snapshot",
        description="Answers with MetricFlow on published/membrana.duckdb, opened read-only: never waits for or "
        "locks a run. Ratios are ratios of the period's sums (a week's fixation rate, not an average of daily "
        "rates). Periods are whole: --since and --until widen to the first and last period they fall in.",
        epilog="example: membrana metrics fixation_rate,cost_per_contact --by week,channel_group --since 2026-07-01",
    )
    metrics.add_argument("metrics", help="comma-separated metric names, e.g. fixation_rate,cost_per_contact "
                         "(an unknown name lists them all)")
    metrics.add_argument("--by", help="comma-separated: one time grain (day, week, month, quarter, year) and/or "
                         "dimensions (channel, channel_group)")
    metrics.add_argument("--since", type=iso_date, help="first day (YYYY-MM-DD)")
    metrics.add_argument("--until", type=iso_date, help="last day (YYYY-MM-DD)")
    metrics.add_argument("--csv", action="store_true", help="CSV instead of a text table (for scripts)")

    demo = commands.add_parser("demo", help="write the demo company's raw exports (deterministic)")
    demo.add_argument("--out", default=str(DEMO_DATA_DIR), help="data folder to write (default: data/demo)")
    demo.add_argument("--contacts", type=int, help="total contacts to generate (default: the demo's ~2,000 a month)")
    demo.add_argument("--years", type=int, default=1, help="years of history (default 1)")
    demo.add_argument("--seed", type=int, default=20261101)
    demo.add_argument("--clean", action="store_true", help="no deliberately bad rows (for benchmarks)")
    return parser


def leave_now(code: int) -> None:
    """A run ends here, without the interpreter's teardown: a build that failed in DuckDB (a full disk, a damaged
    file) can leave a DuckDB connection referenced inside dbt, and DuckDB's Python binding (nanobind) reports
    its type objects as leaked when the interpreter tears down (even after a quiet night), in dozens of lines
    on stderr where the user must read one line or none. The run lock is released and every file of the run
    closed by then. What the teardown must still do is done here: logging's handlers flushed, and
    multiprocessing's finalizers run (the semaphores dbt made are released; else multiprocessing's resource
    tracker warns about them on stderr once this process is gone)."""
    from multiprocessing import util

    logging.shutdown()
    util._exit_function()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    logging.getLogger("dagster").setLevel(logging.ERROR)
    # With the optional spark group installed, Great Expectations imports pyspark, which warns about
    # pandas 3 on stderr; membrana's runs do not use pyspark, and a user must see one line, not that.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    if argv and argv[0] == "plan":
        return command_plan(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        handler = {"run": command_run, "status": command_status, "snapshots": command_snapshots,
                   "rollback": command_rollback, "dashboard": command_dashboard, "export": command_export,
                   "docs": command_docs, "metrics": command_metrics, "demo": command_demo}[args.command]
        code = handler(args)
        if args.command == "run" and code != EXIT_BAD_INPUT:
            leave_now(code)
        return code
    except KeyboardInterrupt:
        return fail("interrupted")
    except Exception as error:  # noqa: BLE001 - the last guard: one line for the user, the traceback in a log file
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        log = chosen_folder(args).root / "membrana-error.log"
        try:
            log.write_text(traceback.format_exc())
        except OSError as unwritable:  # a full disk or a folder out of reach: say that, not a second traceback
            return fail(f"unexpected error: {first_line} (no details: {log} cannot be written: {unwritable.strerror})")
        return fail(f"unexpected error: {first_line} (details in {log})")


if __name__ == "__main__":
    sys.exit(main())
