"""The performance benchmark behind `make bench`: what membrana's orchestration costs on top of the
work itself. membrana's nightly job is measured against plain `dbt build` of the same dbt project and
against two hand-written reference scripts (bench/reference/: one DuckDB script, one pandas script),
on the same generated files, in the same run, on one machine.

For each size it generates two years of canonical exports (`membrana demo --contacts N --years 2
--clean`, cached in the work folder) and measures, as separate processes, wall time, CPU time and
the peak memory of the whole process tree:
  1. the DuckDB reference script and the pandas reference script;
  2. `membrana run` from an empty warehouse on every file (the full build), split into start-up
     (before the first Dagster step), load, dbt, checks, publish and the rest, with the time of each
     dbt model and step;
  3. plain `dbt build --full-refresh` of the same project on a copy of the warehouse that full build
     loaded, parsing from scratch as a new user's first build would;
  4. `membrana run` from an empty warehouse with DuckDB limited to 1 GB, on every file but the last
     daily export, while an analyst queries the published snapshot (how fast that query stays);
  5. `membrana run` after that last export lands (one more export; the same 1 GB setting, as a company's
     next night has), whose marts must equal the full build's, row for row; then `membrana run` again
     with nothing new.
The funnel_daily totals of membrana and of both references must agree. A run that fails is recorded
with its reason. On the demo company it measures the fixed overhead: a build from empty, a night with
nothing new and a night with one more export. Writes BENCHMARKS.md and a JSON file with every figure;
sizes measured by an earlier run stay in both (each with its date and commit) unless --fresh.
Usage: python bench/run_bench.py [--sizes small,medium,large] [--no-demo] [--fresh]
"""

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent))
import itertools

from proc_tree import Measured, run_measured

ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = ROOT / "bench" / "reference"
BIN = Path(sys.executable).parent
MEMBRANA = BIN / "membrana"

SIZES = {"tiny": 10_000, "small": 100_000, "medium": 1_000_000, "large": 10_000_000}
YEARS = 2
CRM_ENTITIES = ("contacts", "leads", "meetings", "deals")
DAILY_EXPORT = re.compile(r"_(\d{4}-\d{2}-\d{2})\.[a-z.]+$")

# Targets (issue "A night costs what its work costs"): the orchestration's own cost, on one machine.
DBT_HEADROOM_SECONDS = 5.0  # full build ≤ plain dbt build + load + checks + 5 s, at every size
NOTHING_NEW_SECONDS = 3.0  # a night with nothing new, end to end: the demo, and judged at 1 M
INCREMENTAL_SHARE, INCREMENTAL_HEADROOM_SECONDS = 0.10, 5.0  # one more export ≤ 10 % of full build + 5 s
DEMO_FULL_BUILD_SECONDS = 15.0  # the demo company from empty
DUCKDB_TIME_FACTOR = 3.0  # 10 M full build ≤ 3 × the DuckDB script
PEAK_MEMORY_LIMIT = 3 * 1024**3
JUDGED_AT = {"nothing_new": ("medium",), "one_more_export": ("medium", "large"), "full_vs_duckdb": ("large",)}
# Results of earlier runs without the split and the plain dbt build are not comparable: left out.
RESULTS_SCHEMA = 2
GB = 1024**3


# ---------------------------------------------------------------- data


def generate(size: str, work: Path) -> tuple[Path, float | None]:
    """The size's generated data folder (made once, reused while the generator's arguments match)."""
    source = work / size / "source"
    marker = source / ".generated"
    wanted = f"contacts={SIZES[size]} years={YEARS} clean\n"
    if marker.is_file() and marker.read_text() == wanted:
        return source, None
    shutil.rmtree(source, ignore_errors=True)
    measured = run_checked([str(MEMBRANA), "demo", "--out", str(source), "--contacts", str(SIZES[size]),
                            "--years", str(YEARS), "--clean"], f"generating {size}")
    marker.write_text(wanted)
    return source, measured.seconds


def landing_files(source: Path) -> list[Path]:
    return sorted(p for p in (source / "landing").rglob("*") if p.is_file())


def last_daily_export(files: list[Path]) -> list[Path]:
    """The CRM files of the newest export day: what one more night brings."""
    days = {p: m.group(1) for p in files if p.parent.name in CRM_ENTITIES and (m := DAILY_EXPORT.search(p.name))}
    newest = max(days.values())
    return [p for p, day in days.items() if day == newest]


def fresh_data_folder(folder: Path, source: Path, files: list[Path]) -> None:
    """A new deployment folder whose landing/ links to `files` of the generated data (no copying)."""
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(source / "config", folder / "config")
    link_landing(folder, source, files)


def link_landing(folder: Path, source: Path, files: list[Path]) -> None:
    for path in files:
        target = folder / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(path)


# ---------------------------------------------------------------- runs


def run_checked(command: list[str], what: str, env: dict | None = None) -> Measured:
    measured = run_measured(command, env=env)
    if measured.returncode != 0:
        tail = (measured.stderr or measured.stdout).strip().splitlines()[-3:]
        raise SystemExit(f"bench: {what} failed (exit {measured.returncode}): {' | '.join(tail)}")
    return measured


def membrana_env(folder: Path, memory_limit: str | None = None) -> dict[str, str]:
    env = {**os.environ, "MEMBRANA_DATA_DIR": str(folder)}
    env.pop("MEMBRANA_DUCKDB_MEMORY", None)
    if memory_limit:
        env["MEMBRANA_DUCKDB_MEMORY"] = memory_limit
    return env


def run_membrana(folder: Path, what: str, memory_limit: str | None = None) -> dict:
    """One `membrana run`, measured, with its split (see `split`). A run that fails is recorded with its
    one-line reason (the table shows it) rather than stopping the benchmark: at 10 M a failure is itself
    the finding."""
    started = time.time()
    measured = run_measured([str(MEMBRANA), "run"], env=membrana_env(folder, memory_limit))
    timings = run_timings(folder, started)
    checks = check_steps(folder, started)
    steps = timings["steps"] if timings else {}
    result = {**figures(measured), "finished": measured.returncode == 0,
              "stages": stages(steps, dbt_results(folder, started), checks),
              "split": split(timings, measured.seconds, checks)}
    if measured.returncode != 0:
        last = (measured.stderr.strip().splitlines() or measured.stdout.strip().splitlines() or ["killed"])[-1]
        result["error"] = f"exit {measured.returncode}: {last}"
        log(f"{what} failed: {result['error']}")
    return result


def figures(measured: Measured) -> dict:
    return {"seconds": round(measured.seconds, 2), "cpu_seconds": round(measured.cpu_seconds, 2),
            "peak_gb": round(measured.peak_bytes / GB, 3)}


def written_since(path: Path, started: float) -> bool:
    return path.is_file() and path.stat().st_mtime >= started


def run_timings(folder: Path, started: float) -> dict | None:
    """logs/last_run_timings.json of the run that started at `started` (epoch seconds), with when it was
    written, in seconds after that start (None: the run wrote none)."""
    path = folder / "logs" / "last_run_timings.json"
    if not written_since(path, started):
        return None
    timings = json.loads(path.read_text())
    return {**timings, "written_after": path.stat().st_mtime - started}


def check_steps(folder: Path, started: float) -> set[str]:
    """The Dagster step keys of the run's asset checks (the Great Expectations suites and the gates), from
    the checks logs/run_report.json lists: a check's step is named `<asset key>_<check name>`, with the
    asset key's parts joined by `__`. The dbt tests run inside the dbt step and have no step of their own."""
    path = folder / "logs" / "run_report.json"
    if not written_since(path, started):
        return set()
    checks = json.loads(path.read_text()).get("check_results", [])
    return {re.sub(r"\W", "_", check["asset"].replace("/", "__")) + "_" + check["check"] for check in checks}


def dbt_results(folder: Path, started: float) -> list[dict]:
    """Each model's and test's time in the dbt invocation of the run that started at `started`."""
    run_results = folder / "logs" / "dbt" / "run_results.json"
    if not written_since(run_results, started):
        return []
    return json.loads(run_results.read_text())["results"]


LOAD_STEPS = ("raw__", "config__")
PUBLISH_STEPS = ("published_marts", "dashboard")
SPLIT = ("start_up", "load", "dbt", "checks", "publish", "other")


def is_dbt_step(step: str) -> bool:
    return step.endswith("dbt_models")


def split(timings: dict | None, wall: float, check_keys: set[str]) -> dict | None:
    """Where a run's wall time went: start-up, load, dbt, checks, publish, other (they add up to the wall).

    The nightly job runs its steps one after another in the `membrana run` process (execute_in_process),
    and logs/last_run_timings.json gives each step's wall time and the whole execution's
    (total_seconds), written as the execution ended (`written_after` seconds after the process started).
      start-up: the wall before the first step: the process until the execution began (interpreter,
        imports, the definitions, a dbt parse when the project changed) plus Dagster's own time in the
        execution outside the steps (total_seconds − the steps' sum: mostly setting the run up before its
        first step; the few ms between steps are counted here too);
      load: the raw__* and config__* steps; dbt: the dbt step (parse, models, dbt tests);
      checks: the asset-check steps (Great Expectations suites, gates); publish: published_marts, dashboard;
      other: the wall after the execution (the run report, the dashboard rendered again, the summary,
        the exit) and any step none of the above names.
    None when the run wrote no timings (it failed before its execution ended)."""
    if timings is None:
        return None
    steps = timings["steps"]
    before_execution = timings["written_after"] - timings["total_seconds"]
    dagster_outside_steps = timings["total_seconds"] - sum(steps.values())
    parts = {
        "start_up": before_execution + dagster_outside_steps,
        "load": sum(seconds for step, seconds in steps.items() if step.startswith(LOAD_STEPS)),
        "dbt": sum(seconds for step, seconds in steps.items() if is_dbt_step(step)),
        "checks": sum(seconds for step, seconds in steps.items() if step in check_keys),
        "publish": sum(seconds for step, seconds in steps.items() if step in PUBLISH_STEPS),
    }
    parts["other"] = wall - sum(parts.values())
    parts |= {"before_execution": before_execution, "dagster_outside_steps": dagster_outside_steps,
              "after_execution": wall - timings["written_after"]}
    return {name: round(seconds, 2) for name, seconds in parts.items()}


def stages(steps: dict[str, float], dbt_results: list[dict], check_keys: set[str] = frozenset()) -> dict[str, float]:
    """Load, each dbt model, the dbt tests, each check step, publish, and any other step, in seconds.

    Read generically (Dagster step keys, dbt's run_results.json), so new models and checks appear by
    themselves. The dbt step's own start-up (parsing, connecting) is what its nodes do not account for."""
    result: dict[str, float] = {}
    load = sum(seconds for step, seconds in steps.items() if step.startswith(LOAD_STEPS))
    result["load"] = round(load, 2)
    dbt_step = next((step for step in steps if is_dbt_step(step)), None)
    node_seconds = 0.0
    checks = 0.0
    for node in dbt_results:
        kind, name = node["unique_id"].split(".")[0], node["unique_id"].split(".")[2]
        node_seconds += node["execution_time"]
        if kind == "model":
            result[f"dbt model {name}"] = round(node["execution_time"], 2)
        else:
            checks += node["execution_time"]
    tests = sum(1 for node in dbt_results if not node["unique_id"].startswith("model."))
    result[f"checks ({tests} dbt tests, in the dbt step)"] = round(checks, 2)
    if dbt_step:
        # dbt runs two threads: the sum of node times can exceed the step's wall time.
        result["dbt outside its nodes (step wall − node time ÷ 2 threads)"] = round(
            max(steps[dbt_step] - node_seconds / 2, 0), 2)
        result["dbt step (wall)"] = round(steps[dbt_step], 2)
    for step, seconds in steps.items():
        if step == dbt_step or step.startswith(LOAD_STEPS):
            continue
        kind = "check step" if step in check_keys else "step"
        result["publish" if step == "published_marts" else f"{kind} {step}"] = round(seconds, 2)
    return result


def run_plain_dbt(warehouse: Path, scratch: Path) -> dict:
    """Plain `dbt build` of the same project on a copy of `warehouse` (loaded by membrana's full build),
    in a fresh target folder: dbt parses from scratch, as a new user's first build would. profiles.yml
    takes the warehouse from MEMBRANA_DATA_DIR and DuckDB's memory limit from MEMBRANA_DUCKDB_MEMORY
    (unset: 2 GB, as for membrana's full build); MEMBRANA_LOADED_AFTER empty: a full build. dbt's
    anonymous usage statistics are off (membrana's dbt step sends none either) and its log goes to the
    scratch folder, not into the repository."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    shutil.copy2(warehouse, scratch / "warehouse.duckdb")
    env = {**membrana_env(scratch), "MEMBRANA_LOADED_AFTER": "", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
           "DBT_LOG_PATH": str(scratch / "logs")}
    command = [str(BIN / "dbt"), "build", "--full-refresh", "--exclude-resource-type", "unit_test",
               "--project-dir", str(ROOT / "dbt_project"), "--profiles-dir", str(ROOT),
               "--target-path", str(scratch / "target")]
    try:
        measured = run_measured(command, env=env)
    finally:
        (scratch / "warehouse.duckdb").unlink(missing_ok=True)  # a copy of the full build's: not kept
    result = {**figures(measured), "finished": measured.returncode == 0}
    if measured.returncode != 0:
        lines = (measured.stdout + measured.stderr).strip().splitlines()
        reason = next((line for line in lines if "rror" in line), lines[-1] if lines else "killed").strip()
        result["error"] = f"exit {measured.returncode}: {reason}"
        log(f"plain dbt build failed: {result['error']}")
    return result


def run_reference(kind: str, source: Path, work: Path) -> dict:
    script = REFERENCE_DIR / f"{kind}_script.py"
    command = [sys.executable, str(script), str(source)]
    if kind == "duckdb":
        out = work / "duckdb_script.duckdb"
        out.unlink(missing_ok=True)
        command.append(str(out))
    measured = run_measured(command)
    if measured.returncode != 0:
        last = (measured.stderr.strip().splitlines() or ["killed"])[-1]
        return {**figures(measured), "finished": False, "error": f"exit {measured.returncode}: {last}"}
    totals = {key: float(value) for key, value in re.findall(r"(\w+)=([-\d.]+)", measured.stdout)}
    totals.pop("seconds", None)
    return {**figures(measured), "finished": True, "totals": totals}


# ---------------------------------------------------------------- marts


def published_totals(folder: Path) -> dict[str, float]:
    with duckdb.connect() as con:
        con.execute(f"attach '{folder / 'published' / 'membrana.duckdb'}' as snapshot (read_only)")
        rows, incoming, revenue, acquisition = con.execute(
            "select count(*), sum(incoming_contacts), sum(revenue), sum(acquisition_cost) "
            "from snapshot.marts.funnel_daily"
        ).fetchone()
    return {"rows": rows, "incoming": float(incoming), "revenue": float(revenue), "acquisition": float(acquisition)}


def same_marts(first: Path, second: Path) -> dict[str, int]:
    """Rows of each public mart found in one snapshot and not in the other (0 and 0: identical)."""
    differences = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{first / 'published' / 'membrana.duckdb'}' as a (read_only)")
        con.execute(f"attach '{second / 'published' / 'membrana.duckdb'}' as b (read_only)")
        for (mart,) in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'a' and table_schema = 'marts' "
            "order by 1"
        ).fetchall():
            # Floating-point columns are compared to 6 decimals: a sum of doubles may differ in its last
            # bits between two builds that add the same values in another order.
            columns = ", ".join(
                f"round({name}, 6) as {name}" if kind in ("DOUBLE", "FLOAT", "REAL") else name
                for name, kind in con.execute(
                    "select column_name, data_type from information_schema.columns where table_catalog = 'a' "
                    "and table_schema = 'marts' and table_name = ? order by ordinal_position", [mart]
                ).fetchall()
            )
            only_a = con.execute(
                f"select count(*) from (select {columns} from a.marts.{mart} "
                f"except all select {columns} from b.marts.{mart})"
            ).fetchone()
            only_b = con.execute(
                f"select count(*) from (select {columns} from b.marts.{mart} "
                f"except all select {columns} from a.marts.{mart})"
            ).fetchone()
            differences[mart] = only_a[0] + only_b[0]
    return differences


def totals_agree(mine: dict[str, float], reference: dict) -> list[str]:
    """The funnel_daily totals a reference printed that differ from membrana's (money to 1e-9 relative)."""
    if not reference.get("finished"):
        return []
    differences = []
    for key, value in reference["totals"].items():
        if key in mine and abs(mine[key] - value) > max(1e-9 * abs(value), 0.01):
            differences.append(f"{key}: membrana {mine[key]:,.2f}, reference {value:,.2f}")
    return differences


ANALYST_QUERY = (
    "select channel, sum(incoming_contacts), sum(fixed_leads), sum(deals_won), sum(revenue) "
    "from snapshot.marts.funnel_daily group by channel"
)


def analyst_query_ms(snapshot: Path) -> float:
    """An analyst's query on the published snapshot, opened afresh as a BI tool would."""
    started = time.perf_counter()
    with duckdb.connect() as con:
        con.execute(f"attach '{snapshot}' as snapshot (read_only)")
        con.execute(ANALYST_QUERY).fetchall()
    return (time.perf_counter() - started) * 1000


class AnalystProbe:
    """Repeats the analyst query against published/membrana.duckdb while a run is in progress."""

    def __init__(self, snapshot: Path):
        self.snapshot = snapshot
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self) -> None:
        while not self.stop.is_set():
            try:
                self.latencies.append(analyst_query_ms(self.snapshot))
            except duckdb.Error as error:
                self.errors.append(str(error).splitlines()[0])
            self.stop.wait(0.2)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def latency_summary(latencies: list[float]) -> dict:
    if not latencies:
        return {"queries": 0}
    ordered = sorted(latencies)
    return {"queries": len(ordered), "median_ms": round(statistics.median(ordered), 1),
            "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1)}


# ---------------------------------------------------------------- one size


def bench_size(size: str, work: Path) -> dict:
    log(f"{size}: {SIZES[size]:,} contacts, {YEARS} years")
    source, generation_seconds = generate(size, work)
    files = landing_files(source)
    newest_export = last_daily_export(files)
    history = [p for p in files if p not in newest_export]
    result = {"schema": RESULTS_SCHEMA, "contacts": SIZES[size], "years": YEARS,
              "generation_seconds": generation_seconds,
              "raw_mb": round(sum(p.stat().st_size for p in files) / 1024**2, 1), "files": len(files),
              "last_export_files": [p.name for p in newest_export], **provenance()}

    log(f"{size}: DuckDB reference script")
    result["duckdb_script"] = run_reference("duckdb", source, work / size)
    log(f"{size}: pandas reference script")
    result["pandas_script"] = run_reference("pandas", source, work / size)

    log(f"{size}: membrana full build from empty")
    full = work / size / "full"
    fresh_data_folder(full, source, files)
    result["full_build"] = run_membrana(full, f"{size} full build")
    if result["full_build"]["finished"]:
        mine = published_totals(full)
        result["totals"] = mine
        result["totals_differences"] = {
            kind: totals_agree(mine, result[f"{kind}_script"]) for kind in ("duckdb", "pandas")
        }
    else:
        result["totals"] = None
        result["totals_differences"] = {kind: ["membrana's full build failed"] for kind in ("duckdb", "pandas")}

    log(f"{size}: plain dbt build on the warehouse membrana's full build loaded")
    if result["full_build"]["finished"]:
        result["plain_dbt_build"] = run_plain_dbt(full / "warehouse.duckdb", work / size / "plain_dbt")
    else:
        result["plain_dbt_build"] = not_run("membrana's full build failed: no loaded warehouse")

    log(f"{size}: membrana full build, DuckDB limited to 1 GB, all but the last export, analyst querying")
    nightly = work / size / "nightly"
    fresh_data_folder(nightly, source, history)
    (nightly / "published").mkdir()
    snapshot = nightly / "published" / "membrana.duckdb"
    if result["full_build"]["finished"]:
        shutil.copy2(full / "published" / "membrana.duckdb", snapshot)
        idle = [analyst_query_ms(snapshot) for _ in range(10)]
        with AnalystProbe(snapshot) as probe:
            result["full_build_1gb"] = run_membrana(nightly, f"{size} full build under 1 GB", memory_limit="1GB")
        result["analyst_query"] = {"idle": latency_summary(idle), "during_run": latency_summary(probe.latencies),
                                   "errors": probe.errors[:3]}
    else:
        result["full_build_1gb"] = run_membrana(nightly, f"{size} full build under 1 GB", memory_limit="1GB")
        result["analyst_query"] = None

    log(f"{size}: membrana incremental run after the last export")
    if result["full_build_1gb"]["finished"]:
        link_landing(nightly, source, newest_export)
        # The same memory setting as the night before, as a company's next night has: another one changes dbt's
        # profile, and dbt then parses the whole project again (5 s at 100 k) instead of reusing its parse.
        result["incremental"] = run_membrana(nightly, f"{size} incremental run", memory_limit="1GB")
    else:
        result["incremental"] = not_run("the build it would follow failed")
    both_built = result["incremental"]["finished"] and result["full_build"]["finished"]
    result["incremental_vs_full_differences"] = same_marts(nightly, full) if both_built else None

    log(f"{size}: membrana run with nothing new")
    if result["incremental"]["finished"]:
        result["nothing_new"] = run_membrana(nightly, f"{size} run with nothing new", memory_limit="1GB")
    else:
        result["nothing_new"] = not_run("the run it would follow failed")
    return result


def not_run(reason: str) -> dict:
    return {"seconds": None, "cpu_seconds": None, "peak_gb": None, "finished": False, "error": f"not run: {reason}",
            "stages": {}, "split": None}


def bench_demo(work: Path) -> dict:
    """The fixed overhead: the demo company's nightly job end to end — from empty, with nothing new, and
    after one more day of exports on top of the rest."""
    log("demo: fixed overhead")
    source = work / "demo" / "source"
    shutil.rmtree(work / "demo", ignore_errors=True)
    run_checked([str(MEMBRANA), "demo", "--out", str(source)], "generating the demo")
    files = landing_files(source)
    newest_export = last_daily_export(files)
    full, nightly = work / "demo" / "full", work / "demo" / "nightly"
    fresh_data_folder(full, source, files)
    fresh_data_folder(nightly, source, [p for p in files if p not in newest_export])
    result = {"schema": RESULTS_SCHEMA, **provenance(),
              "full_build": run_membrana(full, "demo full build"),
              "nothing_new": run_membrana(full, "demo run with nothing new")}
    run_membrana(nightly, "demo build of all but the last export")
    link_landing(nightly, source, newest_export)
    result["one_new_day"] = run_membrana(nightly, "demo run after one more export")
    result["verdicts"] = demo_verdicts(result)
    return result


def provenance() -> dict:
    """When, on which commit and how busy the machine was: sizes measured in separate runs stay apart."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip() or "unknown"
    return {"measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


# ---------------------------------------------------------------- verdicts and report


def size_name(result: dict) -> str | None:
    return next((size for size, contacts in SIZES.items() if contacts == result["contacts"]), None)


def seconds_of(run: dict) -> float | None:
    """A run's wall time; None when it did not finish (or did not run)."""
    return run["seconds"] if run.get("finished") else None


def bound(figure: float | None, allowed: float | None, unit: str = "s") -> dict:
    """A figure against its limit: met or missed, and by how much (`over`: how far above the limit,
    negative when below it). A figure or limit not measured (a failed run, a reference that did not
    finish) misses the target."""
    if figure is None or allowed is None:
        return {"met": False, "figure": figure, "allowed": allowed, "over": None, "unit": unit}
    return {"met": figure <= allowed, "figure": figure, "allowed": round(allowed, 2),
            "over": round(figure - allowed, 2), "unit": unit}


def verdicts(result: dict) -> dict:
    """The targets of one size. Those judged at some sizes only (JUDGED_AT) appear only at those."""
    size = size_name(result)
    full, plain, duck = result["full_build"], result["plain_dbt_build"], result["duckdb_script"]
    full_seconds, parts = seconds_of(full), full.get("split")
    work = plain["seconds"] + parts["load"] + parts["checks"] if seconds_of(plain) is not None and parts else None
    checks = {"full_vs_plain_dbt": bound(full_seconds, None if work is None else work + DBT_HEADROOM_SECONDS)}
    if size in JUDGED_AT["nothing_new"]:
        checks["nothing_new"] = bound(seconds_of(result["nothing_new"]), NOTHING_NEW_SECONDS)
    if size in JUDGED_AT["one_more_export"]:
        allowed = None if full_seconds is None else INCREMENTAL_SHARE * full_seconds + INCREMENTAL_HEADROOM_SECONDS
        checks["one_more_export"] = bound(seconds_of(result["incremental"]), allowed)
    if size in JUDGED_AT["full_vs_duckdb"]:
        checks["full_vs_duckdb"] = bound(full_seconds, DUCKDB_TIME_FACTOR * duck["seconds"]
                                         if duck.get("finished") else None)
    checks["peak_memory"] = bound(full["peak_gb"] if full["finished"] else None, PEAK_MEMORY_LIMIT / GB, "GB")
    differences = result["incremental_vs_full_differences"]
    checks["incremental_equals_full"] = {"met": differences is not None and not any(differences.values())}
    checks["totals_agree"] = {"met": bool(full["finished"]) and not any(result["totals_differences"].values())}
    return checks


def demo_verdicts(demo: dict) -> dict:
    return {"full_build": bound(seconds_of(demo["full_build"]), DEMO_FULL_BUILD_SECONDS),
            "nothing_new": bound(seconds_of(demo["nothing_new"]), NOTHING_NEW_SECONDS)}


TARGETS = {
    "full_vs_plain_dbt": f"full build ≤ plain dbt build + load + checks + {DBT_HEADROOM_SECONDS:g} s",
    "nothing_new": f"a night with nothing new ≤ {NOTHING_NEW_SECONDS:g} s end to end",
    "one_more_export": (f"a night with one more export ≤ {INCREMENTAL_SHARE * 100:g} % of the full build "
                        f"+ {INCREMENTAL_HEADROOM_SECONDS:g} s"),
    "full_vs_duckdb": f"full build ≤ {DUCKDB_TIME_FACTOR:g} × DuckDB script",
    "peak_memory": f"peak memory ≤ {PEAK_MEMORY_LIMIT / GB:g} GB",
    "incremental_equals_full": "nightly marts = full build's",
    "totals_agree": "funnel_daily totals = both references'",
}
DEMO_TARGETS = {"full_build": f"demo full build from empty ≤ {DEMO_FULL_BUILD_SECONDS:g} s",
                "nothing_new": TARGETS["nothing_new"]}


def verdict_text(verdict: dict) -> str:
    """met / **missed**, with how far from the limit (to spare, or over)."""
    if verdict.get("over") is None:
        return "met" if verdict["met"] else ("**missed** (not measured)" if "figure" in verdict else "**missed**")
    over = abs(verdict["over"])
    amount = f"{over:.{2 if verdict['unit'] == 'GB' or over < 1 else 1}f} {verdict['unit']}"
    return f"met, {amount} to spare" if verdict["met"] else f"**missed** by {amount}"


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                         if line.startswith("MemTotal")))
    from importlib.metadata import version

    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024**2, 1),
            "os": platform.platform(), "python": platform.python_version(), "duckdb": version("duckdb"),
            "dbt_core": version("dbt-core"), "dagster": version("dagster"), "pandas": version("pandas"),
            "load_average_at_start": os.getloadavg()}


def seconds_text(figure: dict) -> str:
    if figure.get("finished") is False:
        return f"failed after {figure['seconds']:.0f} s" if figure["seconds"] is not None else "not run"
    return f"{figure['seconds']:.1f} s"


def number_text(value: float | None, unit: str, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f} {unit}"


def ratio_text(figure: dict, reference: dict) -> str:
    finished = seconds_of(reference) and figure.get("finished", True) and figure["seconds"] is not None
    return f"{figure['seconds'] / reference['seconds']:.2f}×" if finished else "—"


SPLIT_HEADER = "start-up | load | dbt | checks | publish | other"


def split_cells(run: dict) -> str:
    """The run's split (see `split`), one cell a part; dashes when the run wrote no timings."""
    parts = run.get("split")
    return " | ".join(number_text(parts[name] if parts else None, "s") for name in SPLIT)


def report(results: dict) -> str:
    m = results["machine"]
    lines = [
        "# Benchmarks",
        "",
        (f"Written by `make bench` on {results['finished_at']} (bench/run_bench.py; every figure also in "
        f"bench/results.json). Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, {m['os']}; "
        f"Python {m['python']}, DuckDB {m['duckdb']}, dbt-core {m['dbt_core']}, Dagster {m['dagster']}, "
        f"pandas {m['pandas']}; load average at start {', '.join(f'{x:.2f}' for x in m['load_average_at_start'])}."),
        "",
        (f"Data: `membrana demo --contacts N --years {YEARS} --clean` (weekly overlapping CRM exports, monthly ad "
        "spend, costs and rates). What the orchestration costs is measured against **plain `dbt build`** of the "
        "same dbt project (`dbt build --full-refresh --exclude-resource-type unit_test`, on a copy of the "
        "warehouse membrana's full build loaded, in a fresh target folder: dbt parses from scratch, as a new "
        "user's first build would), in the same run on the same machine. The other references are "
        "bench/reference/duckdb_script.py (a hand-written DuckDB script) and bench/reference/pandas_script.py, "
        "run on the same files. Peak memory is that of the whole process tree (sum of resident sets, sampled "
        "every 50 ms). CPU is user + system time."),
        "",
        ("Each membrana run is split (from logs/last_run_timings.json, the Dagster step times): **start-up** is "
        "the wall before the first step (interpreter, imports, loading the definitions, Dagster setting the run "
        "up); **load** the raw__\\* and config__\\* steps; **dbt** the dbt step (parse, models, dbt tests); "
        "**checks** the asset-check steps (Great Expectations suites, gates); **publish** published_marts and "
        "dashboard; **other** the rest of the wall (after the last step: the run report, the dashboard rendered "
        "again, the summary, the exit)."),
        "",
        "Targets: " + "; ".join([
            f"{TARGETS['full_vs_plain_dbt']} (every size)",
            f"{TARGETS['nothing_new']} (demo, and at {', '.join(JUDGED_AT['nothing_new'])})",
            f"{TARGETS['one_more_export']} ({', '.join(JUDGED_AT['one_more_export'])})",
            DEMO_TARGETS["full_build"],
            f"{TARGETS['full_vs_duckdb']} ({', '.join(JUDGED_AT['full_vs_duckdb'])})",
            f"{TARGETS['peak_memory']}, nightly marts = full build's, totals = both references' (every size)",
        ]) + ".",
        "",
    ]
    if "demo" in results:
        lines += demo_report(results["demo"])
    lines += summary_table(results["sizes"])
    for size, result in sorted(results["sizes"].items(), key=lambda item: SIZES[item[0]]):
        lines += size_report(size, result)
    if len(results["sizes"]) > 1:
        lines += growth_report(results["sizes"])
    return "\n".join(lines) + "\n"


def demo_report(demo: dict) -> list[str]:
    checks = demo_verdicts(demo)
    lines = [
        "## Fixed overhead (demo company, end to end)",
        "",
        f"Measured {demo['measured_at']} on commit {demo['commit']}.",
        "",
        f"| run | wall | CPU | peak memory | {SPLIT_HEADER} | target | verdict |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for key, name in (("full_build", "full build from empty"), ("nothing_new", "nightly run, nothing new"),
                      ("one_new_day", "nightly run after one more export")):
        run = demo[key]
        target, verdict = (DEMO_TARGETS[key], verdict_text(checks[key])) if key in checks else ("—", "")
        lines.append(f"| {name} | {seconds_text(run)} | {number_text(run['cpu_seconds'], 's')} | "
                     f"{number_text(run['peak_gb'], 'GB', 2)} | {split_cells(run)} | {target} | {verdict} |")
    return [*lines, ""]


def summary_table(sizes: dict) -> list[str]:
    """One line per size (the table README's Performance section shows), then the full build's split."""
    ordered = sorted(sizes.values(), key=lambda r: r["contacts"])
    lines = ["## Summary", "",
             ("| contacts (2 years) | raw CSV | DuckDB script | pandas script | plain dbt build | membrana full build "
              "| × plain dbt build | × DuckDB script | peak memory | nightly run, one more export "
              "| nightly run, nothing new |"),
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for result in ordered:
        duck, pandas, full = result["duckdb_script"], result["pandas_script"], result["full_build"]
        plain = result["plain_dbt_build"]
        pandas_text = seconds_text(pandas) if pandas.get("finished") else "did not finish"
        lines.append(
            f"| {result['contacts']:,} | {result['raw_mb']:,.0f} MB | {seconds_text(duck)} | {pandas_text} | "
            f"{seconds_text(plain)} | {seconds_text(full)} | {ratio_text(full, plain)} | {ratio_text(full, duck)} | "
            f"{number_text(full['peak_gb'], 'GB', 2)} | {seconds_text(result['incremental'])} | "
            f"{seconds_text(result['nothing_new'])} |")
    lines += ["", "Where membrana's full build goes, against the work a plain dbt build, the load and the checks do:",
              "",
              (f"| contacts | membrana full build | {SPLIT_HEADER} | plain dbt build "
               "| beyond plain dbt + load + checks |"),
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for result in ordered:
        full, plain, parts = result["full_build"], result["plain_dbt_build"], result["full_build"].get("split")
        beyond = (full["seconds"] - plain["seconds"] - parts["load"] - parts["checks"]
                  if seconds_of(full) is not None and seconds_of(plain) is not None and parts else None)
        lines.append(f"| {result['contacts']:,} | {seconds_text(full)} | {split_cells(full)} | "
                     f"{seconds_text(plain)} | {number_text(beyond, 's')} |")
    return [*lines, ""]


def size_report(size: str, result: dict) -> list[str]:
    duck, pandas, plain = result["duckdb_script"], result["pandas_script"], result["plain_dbt_build"]
    full = result["full_build"]
    checks = verdicts(result)

    def row(name: str, figure: dict) -> str:
        if figure.get("finished") is False:
            name = f"{name} ({figure['error']})"
        return (f"| {name} | {seconds_text(figure)} | {number_text(figure['cpu_seconds'], 's')} | "
                f"{number_text(figure['peak_gb'], 'GB', 2)} | {ratio_text(figure, plain)} | "
                f"{ratio_text(figure, duck)} |")

    membrana_runs = [
        ("membrana full build from empty", full),
        ("membrana full build, DuckDB memory 1 GB (all but the last export)", result["full_build_1gb"]),
        (f"membrana nightly run after one more export ({len(result['last_export_files'])} files, DuckDB memory 1 GB)",
         result["incremental"]),
        ("membrana nightly run, nothing new", result["nothing_new"]),
    ]
    lines = [
        (f"## {result['contacts']:,} contacts, {result['years']} years ({size}: {result['raw_mb']:,} MB raw CSV, "
        f"{result['files']} files)"),
        "",
        (f"Measured {result.get('measured_at', '?')} on commit {result.get('commit', '?')}, load average at start "
        f"{', '.join(f'{x:.2f}' for x in result.get('load_average_at_start', []))}."),
        "",
        "| run | wall | CPU | peak memory | × plain dbt build | × DuckDB script |",
        "|---|---:|---:|---:|---:|---:|",
        row("DuckDB script", duck),
        row("pandas script", pandas),
        row("plain dbt build (same project, same loaded warehouse, parsing from scratch)", plain),
        *(row(name, run) for name, run in membrana_runs),
        "",
        f"| membrana run | wall | {SPLIT_HEADER} |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        *(f"| {name} | {seconds_text(run)} | {split_cells(run)} |" for name, run in membrana_runs),
        "",
        "| target | figure | verdict |",
        "|---|---|---|",
        *(f"| {TARGETS[key]} | {verdict_figure(key, verdict, result)} | {verdict_text(verdict)} |"
          for key, verdict in checks.items()),
        "",
    ]
    differences = [f"{kind}: {d}" for kind, ds in result["totals_differences"].items() for d in ds]
    if differences:
        lines += ["Totals that differ: " + "; ".join(differences), ""]
    query = result["analyst_query"]
    if query:
        lines += [
            f"Analyst query on published/membrana.duckdb: median {query['idle'].get('median_ms', '—')} ms idle, "
            f"{query['during_run'].get('median_ms', '—')} ms (p95 {query['during_run'].get('p95_ms', '—')} ms, "
            f"{query['during_run']['queries']} queries) during the 1 GB build"
            + (f"; errors: {query['errors']}" if query["errors"] else "") + ".",
            "",
        ]
    runs = [run for _, run in membrana_runs]
    lines += [
        "<details><summary>Time of each stage (seconds)</summary>",
        "",
        "| stage | full build | full build, 1 GB | nightly run, one more export | nightly run, nothing new |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, name in SPLIT_DETAILS:
        cells = " | ".join(f"{run['split'][key]:.2f}" if run.get("split") else "" for run in runs)
        lines.append(f"| {name} | {cells} |")
    names = list(dict.fromkeys(name for run in runs for name in run["stages"]))
    for name in names:
        cells = " | ".join(f"{run['stages'][name]:.2f}" if name in run["stages"] else "" for run in runs)
        lines.append(f"| {name} | {cells} |")
    lines += ["", "</details>", ""]
    return lines


SPLIT_DETAILS = (
    ("before_execution", "start-up: before Dagster's execution (interpreter, imports, definitions)"),
    ("dagster_outside_steps", "start-up: Dagster's execution outside its steps (setting the run up)"),
    ("after_execution", "other: after the execution (run report, dashboard again, summary, exit)"),
)


def verdict_figure(key: str, verdict: dict, result: dict) -> str:
    """The figure a target judges and the limit it is judged against, with where the limit comes from."""
    full, plain, parts = result["full_build"], result["plain_dbt_build"], result["full_build"].get("split")
    if key == "full_vs_plain_dbt":
        source = (f" (plain dbt build {plain['seconds']:.1f} s + load {parts['load']:.1f} s + checks "
                  f"{parts['checks']:.1f} s + {DBT_HEADROOM_SECONDS:g} s)" if verdict["allowed"] is not None else "")
        return f"{seconds_text(full)} vs {number_text(verdict['allowed'], 's')}{source}"
    if key == "nothing_new":
        return f"{seconds_text(result['nothing_new'])} vs {number_text(verdict['allowed'], 's')}"
    if key == "one_more_export":
        return f"{seconds_text(result['incremental'])} vs {number_text(verdict['allowed'], 's')}"
    if key == "full_vs_duckdb":
        return (f"{seconds_text(full)} vs {number_text(verdict['allowed'], 's')} "
                f"({DUCKDB_TIME_FACTOR:g} × {seconds_text(result['duckdb_script'])})")
    if key == "peak_memory":
        return f"{number_text(full['peak_gb'], 'GB', 2)}"
    if key == "incremental_equals_full":
        differences = result["incremental_vs_full_differences"]
        if differences is None:
            return "not compared (a build failed)"
        differing = {mart: rows for mart, rows in differences.items() if rows}
        return f"rows differing: {differing}" if differing else f"0 rows differ in {len(differences)} marts"
    return format_totals(result["totals"]) if result["totals"] else "no snapshot"


def format_totals(totals: dict) -> str:
    return (f"{totals['rows']:,} rows, {totals['incoming']:,.0f} contacts, revenue {totals['revenue']:,.2f}, "
            f"acquisition {totals['acquisition']:,.2f}")


def growth_report(sizes: dict) -> list[str]:
    ordered = sorted(sizes.values(), key=lambda r: r["contacts"])
    lines = ["## Growth", "",
             ("| from → to | contacts × | membrana full build time × | plain dbt build time × "
              "| DuckDB script time × |"),
             "|---|---:|---:|---:|---:|"]

    def growth(small: dict, large: dict) -> str:
        return f"{large['seconds'] / small['seconds']:.2f}" if seconds_of(small) and seconds_of(large) else "—"

    for small, large in itertools.pairwise(ordered):
        lines.append(
            f"| {small['contacts']:,} → {large['contacts']:,} | {large['contacts'] / small['contacts']:.0f} | "
            f"{growth(small['full_build'], large['full_build'])} | "
            f"{growth(small['plain_dbt_build'], large['plain_dbt_build'])} | "
            f"{growth(small['duckdb_script'], large['duckdb_script'])} |")
    return lines + [""]


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def earlier_results(json_file: Path) -> dict:
    """The sizes (and demo runs) an earlier run measured, each with its date and commit, so that one
    size can be re-measured alone — 10 M takes most of an hour — and the report still shows them all.
    Results written before runs carried their commit, the split and the plain dbt build (RESULTS_SCHEMA)
    are not comparable and are left out."""
    try:
        earlier = json.loads(json_file.read_text()) if json_file.is_file() else {}
    except ValueError:
        earlier = {}

    def current(result: object) -> bool:
        return isinstance(result, dict) and "commit" in result and result.get("schema") == RESULTS_SCHEMA

    sizes = {size: result for size, result in earlier.get("sizes", {}).items() if size in SIZES and current(result)}
    demo = earlier.get("demo") if current(earlier.get("demo")) else None
    return {"sizes": sizes, "demo": demo}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,medium,large", help=f"comma-separated, of {', '.join(SIZES)}")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".work",
                        help="generated data and run folders (kept between runs)")
    parser.add_argument("--report", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--no-demo", action="store_true", help="skip the fixed-overhead runs on the demo company")
    parser.add_argument("--fresh", action="store_true",
                        help="drop what an earlier run left in the JSON file (by default its other sizes stay in the report)")
    args = parser.parse_args(argv)
    sizes = [size.strip() for size in args.sizes.replace(" ", ",").split(",") if size.strip()]
    unknown = [size for size in sizes if size not in SIZES]
    if unknown:
        parser.error(f"unknown size {', '.join(unknown)} (one of {', '.join(SIZES)})")
    args.work.mkdir(parents=True, exist_ok=True)
    earlier = {"sizes": {}, "demo": None} if args.fresh else earlier_results(args.json)
    results = {"machine": machine(), "sizes": earlier["sizes"]}
    if not args.no_demo:
        results["demo"] = bench_demo(args.work)
    elif earlier["demo"]:
        results["demo"] = earlier["demo"]
    for size in sorted(sizes, key=SIZES.get):
        results["sizes"][size] = bench_size(size, args.work)
        results["sizes"][size]["verdicts"] = verdicts(results["sizes"][size])
    results["finished_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    args.json.write_text(json.dumps(results, indent=2))
    args.report.write_text(report(results))
    log(f"wrote {args.report} and {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
