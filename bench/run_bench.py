"""The performance benchmark behind `make bench`: membrana's nightly job against two hand-written
reference scripts (bench/reference/: one DuckDB script, one pandas script), on the same generated
files, in the same run.

For each size it generates two years of canonical exports (`membrana demo --contacts N --years 2
--clean`, cached in the work folder) and measures, as separate processes, wall time, CPU time and
the peak memory of the whole process tree:
  1. the DuckDB reference script and the pandas reference script;
  2. `membrana run` from an empty warehouse on every file (the full build), with the time of each
     step (load, each dbt model, the checks, publish);
  3. `membrana run` from an empty warehouse with DuckDB limited to 1 GB, on every file but the last
     daily export, while an analyst queries the published snapshot (how fast that query stays);
  4. `membrana run` after that last export lands (the incremental nightly run), whose marts must
     equal the full build's, row for row.
The funnel_daily totals of membrana and of both references must agree. A membrana run that fails is
recorded with its reason. On the demo company it measures the fixed overhead: a build from empty, a
night with nothing new and a night with one more export. Writes BENCHMARKS.md and a JSON file with
every figure; sizes measured by an earlier run stay in both (each with its date and commit) unless
--fresh. Usage: python bench/run_bench.py [--sizes small,medium,large] [--no-demo] [--fresh]
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

# Targets of issue 7 for the full build (checked at every size, binding at 10 M contacts).
DUCKDB_TIME_FACTOR, FIXED_OVERHEAD_SECONDS = 1.5, 20.0
PANDAS_SPEEDUP = 3.0
PEAK_MEMORY_LIMIT = 3 * 1024**3
INCREMENTAL_SHARE = 0.10
DEMO_OVERHEAD_SECONDS = 15.0
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
    """One `membrana run`, measured. A run that fails is recorded with its one-line reason (the table
    shows it) rather than stopping the benchmark: at 10 M a failure is itself the finding."""
    started = time.time()
    measured = run_measured([str(MEMBRANA), "run"], env=membrana_env(folder, memory_limit))
    timings_file = folder / "logs" / "last_run_timings.json"
    timings = json.loads(timings_file.read_text()) if timings_file.is_file() else {"steps": {}}
    result = {**figures(measured), "finished": measured.returncode == 0,
              "stages": stages(timings["steps"], dbt_results(folder, started))}
    if measured.returncode != 0:
        last = (measured.stderr.strip().splitlines() or measured.stdout.strip().splitlines() or ["killed"])[-1]
        result["error"] = f"exit {measured.returncode}: {last}"
        log(f"{what} failed: {result['error']}")
    return result


def figures(measured: Measured) -> dict:
    return {"seconds": round(measured.seconds, 2), "cpu_seconds": round(measured.cpu_seconds, 2),
            "peak_gb": round(measured.peak_bytes / GB, 3)}


def dbt_results(folder: Path, started: float) -> list[dict]:
    """Each model's and test's time in the dbt invocation of the run that started at `started`."""
    run_results = folder / "logs" / "dbt" / "run_results.json"
    if not run_results.is_file() or run_results.stat().st_mtime < started:
        return []
    return json.loads(run_results.read_text())["results"]


def stages(steps: dict[str, float], dbt_results: list[dict]) -> dict[str, float]:
    """Load, each dbt model, the checks, publish, and any other step, in seconds.

    Read generically (Dagster step keys, dbt's run_results.json), so new models and checks appear by
    themselves. The dbt step's own start-up (parsing, connecting) is what its nodes do not account for."""
    result: dict[str, float] = {}
    load = sum(seconds for step, seconds in steps.items() if step.startswith(("raw__", "config__")))
    result["load"] = round(load, 2)
    dbt_step = next((step for step in steps if step.endswith("dbt_models")), None)
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
    result[f"checks ({tests} dbt tests)"] = round(checks, 2)
    if dbt_step:
        # dbt runs two threads: the sum of node times can exceed the step's wall time.
        result["dbt outside its nodes (step wall − node time ÷ 2 threads)"] = round(
            max(steps[dbt_step] - node_seconds / 2, 0), 2)
        result["dbt step (wall)"] = round(steps[dbt_step], 2)
    for step, seconds in steps.items():
        if step == dbt_step or step.startswith(("raw__", "config__")):
            continue
        result["publish" if step == "published_marts" else f"step {step}"] = round(seconds, 2)
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
    result = {"contacts": SIZES[size], "years": YEARS, "generation_seconds": generation_seconds,
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
        result["incremental"] = run_membrana(nightly, f"{size} incremental run")
    else:
        result["incremental"] = not_run("the build it would follow failed")
    both_built = result["incremental"]["finished"] and result["full_build"]["finished"]
    result["incremental_vs_full_differences"] = same_marts(nightly, full) if both_built else None
    return result


def not_run(reason: str) -> dict:
    return {"seconds": None, "cpu_seconds": None, "peak_gb": None, "finished": False, "error": f"not run: {reason}",
            "stages": {}}


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
    result = {**provenance(),
              "full_build": run_membrana(full, "demo full build"),
              "nothing_new": run_membrana(full, "demo run with nothing new")}
    run_membrana(nightly, "demo build of all but the last export")
    link_landing(nightly, source, newest_export)
    result["one_new_day"] = run_membrana(nightly, "demo run after one more export")
    return result


def provenance() -> dict:
    """When, on which commit and how busy the machine was: sizes measured in separate runs stay apart."""
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, check=False).stdout.strip() or "unknown"
    return {"measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), "commit": commit,
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()]}


# ---------------------------------------------------------------- verdicts and report


def verdicts(result: dict) -> dict:
    full, incremental = result["full_build"], result["incremental"]
    duck, pandas = result["duckdb_script"], result["pandas_script"]
    allowed = DUCKDB_TIME_FACTOR * duck["seconds"] + FIXED_OVERHEAD_SECONDS
    full_seconds = full["seconds"] if full["finished"] else None
    incremental_allowed = INCREMENTAL_SHARE * full_seconds + DEMO_OVERHEAD_SECONDS if full_seconds else None
    differences = result["incremental_vs_full_differences"]
    return {
        "time_vs_duckdb": {"allowed_seconds": round(allowed, 1), "met": full["finished"] and full_seconds <= allowed},
        "speedup_vs_pandas": {
            "speedup": round(pandas["seconds"] / full_seconds, 2) if pandas.get("finished") and full_seconds else None,
            "met": full["finished"] and ((not pandas.get("finished"))
                                         or pandas["seconds"] >= PANDAS_SPEEDUP * full_seconds)},
        "peak_memory": {"met": full["finished"] and full["peak_gb"] * GB <= PEAK_MEMORY_LIMIT},
        "runs_with_1gb_duckdb": {"met": result["full_build_1gb"]["finished"]},
        "incremental": {"allowed_seconds": round(incremental_allowed, 1) if incremental_allowed else None,
                        "met": bool(incremental["finished"] and incremental_allowed
                                    and incremental["seconds"] <= incremental_allowed)},
        "incremental_equals_full": {"met": differences is not None and not any(differences.values())},
        "totals_agree": {"met": full["finished"] and not any(result["totals_differences"].values())},
    }


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
        "spend, costs and rates). The references are bench/reference/duckdb_script.py (a hand-written DuckDB "
        "script) and bench/reference/pandas_script.py, run on the same files in the same run. Peak memory is "
        "that of the whole process tree (sum of resident sets, sampled every 50 ms). CPU is user + system time."),
        "",
    ]
    if "demo" in results:
        demo = results["demo"]
        lines += [
            "## Fixed overhead (demo company, end to end)",
            "",
            f"Measured {demo['measured_at']} on commit {demo['commit']}.",
            "",
            "| run | wall | CPU | peak memory | target |",
            "|---|---:|---:|---:|---|",
        ]
        for key, name in (("full_build", "full build from empty"), ("nothing_new", "nightly run, nothing new"),
                          ("one_new_day", "nightly run after one more export")):
            run = demo[key]
            lines.append(f"| {name} | {seconds_text(run)} | {number_text(run['cpu_seconds'], 's')} | "
                         f"{number_text(run['peak_gb'], 'GB', 2)} | < {DEMO_OVERHEAD_SECONDS:.0f} s |")
        lines.append("")
    lines += summary_table(results["sizes"])
    for size, result in sorted(results["sizes"].items(), key=lambda item: SIZES[item[0]]):
        lines += size_report(size, result)
    if len(results["sizes"]) > 1:
        lines += growth_report(results["sizes"])
    return "\n".join(lines) + "\n"


def summary_table(sizes: dict) -> list[str]:
    """One line per size: the table README's Performance section shows."""
    lines = ["## Summary", "",
             ("| contacts (2 years) | raw CSV | DuckDB script | pandas script | membrana full build | × DuckDB "
             "| pandas ÷ membrana | peak memory | full build, DuckDB at 1 GB | nightly run, one more export |"),
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for result in sorted(sizes.values(), key=lambda r: r["contacts"]):
        duck, pandas, full = result["duckdb_script"], result["pandas_script"], result["full_build"]
        pandas_text = seconds_text(pandas) if pandas.get("finished") else "did not finish"
        built = full["finished"]
        speedup = f"{pandas['seconds'] / full['seconds']:.2f}" if pandas.get("finished") and built else "—"
        times_duckdb = f"{full['seconds'] / duck['seconds']:.2f}" if built else "—"
        lines.append(
            f"| {result['contacts']:,} | {result['raw_mb']:,.0f} MB | {seconds_text(duck)} | {pandas_text} | "
            f"{seconds_text(full)} | {times_duckdb} | {speedup} | {number_text(full['peak_gb'], 'GB', 2)} | "
            f"{seconds_text(result['full_build_1gb'])} | {seconds_text(result['incremental'])} |")
    return [*lines, ""]


def run_row(name: str, figure: dict, duck: dict, pandas: dict) -> str:
    def ratio(reference: dict) -> str:
        finished = reference.get("finished") and figure.get("finished", True)
        return f"{figure['seconds'] / reference['seconds']:.2f}×" if finished else "—"

    failure = f" ({figure['error']})" if figure.get("finished") is False else ""
    return (f"| {name}{failure} | {seconds_text(figure)} | {number_text(figure['cpu_seconds'], 's')} | "
            f"{number_text(figure['peak_gb'], 'GB', 2)} | {ratio(duck)} | {ratio(pandas)} |")


def size_report(size: str, result: dict) -> list[str]:
    duck, pandas = result["duckdb_script"], result["pandas_script"]
    checks = verdicts(result)

    def reference_row(name: str, figure: dict) -> str:
        if not figure.get("finished"):
            return (f"| {name} | did not finish ({figure['error']}) | {number_text(figure['cpu_seconds'], 's')} | "
                    f"{number_text(figure['peak_gb'], 'GB', 2)} | | |")
        return run_row(name, figure, duck, pandas)

    def mark(key: str) -> str:
        return "met" if checks[key]["met"] else "**missed**"

    full = result["full_build"]
    lines = [
        (f"## {result['contacts']:,} contacts, {result['years']} years ({size}: {result['raw_mb']:,} MB raw CSV, "
        f"{result['files']} files)"),
        "",
        (f"Measured {result.get('measured_at', '?')} on commit {result.get('commit', '?')}, load average at start "
        f"{', '.join(f'{x:.2f}' for x in result.get('load_average_at_start', []))}."),
        "",
        "| run | wall | CPU | peak memory | × DuckDB script | × pandas script |",
        "|---|---:|---:|---:|---:|---:|",
        reference_row("DuckDB script", duck),
        reference_row("pandas script", pandas),
        run_row("membrana full build from empty", full, duck, pandas),
        run_row("membrana full build, DuckDB memory 1 GB (all but the last export)", result["full_build_1gb"],
                duck, pandas),
        run_row(f"membrana nightly run after one more export ({len(result['last_export_files'])} files)",
                result["incremental"], duck, pandas),
        "",
        "| target (issue 7) | figure | verdict |",
        "|---|---|---|",
        (f"| full build ≤ 1.5 × DuckDB script + 20 s | {seconds_text(full)} vs "
        f"{checks['time_vs_duckdb']['allowed_seconds']:.1f} s | {mark('time_vs_duckdb')} |"),
        (f"| ≥ 3 × faster than pandas | "
        f"{str(checks['speedup_vs_pandas']['speedup']) + '×' if checks['speedup_vs_pandas']['speedup'] else 'pandas did not finish'}"
        f" | {mark('speedup_vs_pandas')} |"),
        f"| peak memory ≤ 3 GB | {number_text(full['peak_gb'], 'GB', 2)} | {mark('peak_memory')} |",
        f"| completes with DuckDB at 1 GB | {seconds_text(result['full_build_1gb'])} | {mark('runs_with_1gb_duckdb')} |",
        (f"| nightly run ≤ 10 % of full build + {DEMO_OVERHEAD_SECONDS:.0f} s | {seconds_text(result['incremental'])} "
        f"vs {number_text(checks['incremental']['allowed_seconds'], 's')} | {mark('incremental')} |"),
        (f"| nightly marts = full build's | rows differing: {result['incremental_vs_full_differences']} | "
        f"{mark('incremental_equals_full')} |"),
        (f"| funnel_daily totals = both references' | "
        f"{format_totals(result['totals']) if result['totals'] else 'no snapshot'} | {mark('totals_agree')} |"),
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
    lines += [
        "<details><summary>Time of each stage (seconds)</summary>",
        "",
        "| stage | full build | full build, 1 GB | nightly run |",
        "|---|---:|---:|---:|",
    ]
    runs = [result["full_build"]["stages"], result["full_build_1gb"]["stages"], result["incremental"]["stages"]]
    names = list(dict.fromkeys(name for stages_of_run in runs for name in stages_of_run))
    for name in names:
        cells = " | ".join(f"{run[name]:.2f}" if name in run else "" for run in runs)
        lines.append(f"| {name} | {cells} |")
    lines += ["", "</details>", ""]
    return lines


def format_totals(totals: dict) -> str:
    return (f"{totals['rows']:,} rows, {totals['incoming']:,.0f} contacts, revenue {totals['revenue']:,.2f}, "
            f"acquisition {totals['acquisition']:,.2f}")


def growth_report(sizes: dict) -> list[str]:
    ordered = sorted(sizes.values(), key=lambda r: r["contacts"])
    lines = ["## Growth", "", "| from → to | contacts × | membrana full build time × | DuckDB script time × |",
             "|---|---:|---:|---:|"]
    for small, large in itertools.pairwise(ordered):
        both_built = small["full_build"]["finished"] and large["full_build"]["finished"]
        growth = f"{large['full_build']['seconds'] / small['full_build']['seconds']:.2f}" if both_built else "—"
        lines.append(
            f"| {small['contacts']:,} → {large['contacts']:,} | {large['contacts'] / small['contacts']:.0f} | "
            f"{growth} | "
            f"{large['duckdb_script']['seconds'] / small['duckdb_script']['seconds']:.2f} |")
    return lines + [""]


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def earlier_results(json_file: Path) -> dict:
    """The sizes (and demo runs) an earlier run measured, each with its date and commit, so that one
    size can be re-measured alone — 10 M takes most of an hour — and the report still shows them all.
    Results written before runs carried their commit are not comparable and are left out."""
    try:
        earlier = json.loads(json_file.read_text()) if json_file.is_file() else {}
    except ValueError:
        earlier = {}
    sizes = {size: result for size, result in earlier.get("sizes", {}).items()
             if size in SIZES and "commit" in result}
    demo = earlier.get("demo") if "commit" in earlier.get("demo", {}) else None
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
