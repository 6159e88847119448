"""The soak test (issue 19, part 5): night after night of a generated company, each night checked against a
full rebuild from scratch and against the landing files themselves.

The company is the demo's generator at a tiny size (orchestration/demo), written once, whole, aside; the
soak delivers its exports into the data folder one night at a time. Night 1 brings the history so far, as a
company starting with membrana does; each later night the next weekly CRM export of every entity (they
overlap by a week, so they carry later versions of earlier records: late updates) and the monthly files of
the month that ended. Chosen by the seeded generator: a few bad rows of the quarantine's kinds in the
night's files, a night's exports held back to the next night (older versions arriving after newer ones),
and on some nights a fault — `membrana run` killed with -9 part way through, a damaged
warehouse, a landing file that cannot be read, a file cut short mid-line. A faulted run must end as README's
"Operations" says and leave the published snapshot as it was (a kill: whole, the old one or a new one); the
night's next run must recover and publish.

After every night that published: (a) every table of the published snapshot's `marts` schema (and
`audit.quarantine`) equals, row for row, what one `membrana run` builds from scratch in a fresh folder
from the same landing/ and config/; (b) `audit.load_manifest` knows every landing file, with the data rows
the soak counts in the file itself, each staged, quarantined or superseded, and quarantined exactly the rows
the soak broke.

`make soak` runs it long (NIGHTS, SEED); tests/e2e/test_soak.py at CI size. As a script:
    python -m tests.support.soak --nights 30 --seed 1 [--work DIR]
"""

import argparse
import csv
import io
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import duckdb

from orchestration.data_folder import DataFolder
from orchestration.demo.bad_rows import BAD_ROW_KINDS, broken_row
from orchestration.demo.company import generate_company
from orchestration.demo.dates import last_day_of_month
from orchestration.nightly.run_lock import lock_path
from tests.support.membrana import MEMBRANA, failure, membrana_env, run_command
from tests.support.published import published_files, snapshot_differences, snapshot_tables

# README "## Operations": the exit codes of `membrana run`
EXIT_OK, EXIT_FAILED, EXIT_WAREHOUSE_UNUSABLE, EXIT_SYSTEM_FAULT = 0, 1, 5, 6
FILE_FAULTS = ("unreadable_file", "cut_short_file")
FAULTS = ("kill", "damaged_warehouse", *FILE_FAULTS)
FAULT_SHARE = 0.3  # of the nights after the first, when the seed chooses
HELD_BACK_SHARE = 0.1  # of the nights, whose CRM exports arrive a night late
# mid-month: even a short soak sees a month end, and the monthly files arrive on a later night than night 1
LAST_EXPORT_DAY = date(2026, 11, 18)
WEEKLY = re.compile(r"(?P<entity>\w+)_(?P<day>\d{4}-\d{2}-\d{2})\.csv")
MONTHLY = re.compile(r"(?P<entity>\w+)_(?P<month>\d{4}-\d{2})\.csv")


class SoakFailure(AssertionError):
    """A night that did not end as it must: the message says which night, what was run and what differed."""


@dataclass
class Delivery:
    """One night's files: landing path (relative to the data folder) → text."""

    day: date
    files: dict[str, str] = field(default_factory=dict)
    bad_rows: Counter = field(default_factory=Counter)  # landing path → rows the soak broke in it


@dataclass
class NightResult:
    night: int
    day: date
    fault: str
    exit_code: int
    seconds: float
    marts_equal: str  # to a rebuild from scratch: yes, no, or "built from scratch" (the night itself was one)
    rebuild_seconds: float = 0.0

    def line(self) -> str:
        rebuild = f" (rebuild {self.rebuild_seconds:.1f} s)" if self.rebuild_seconds else ""
        return (f"night {self.night:3d}  {self.day}  fault: {self.fault or '-':<36}  exit {self.exit_code}  "
                f"{self.seconds:6.1f} s  marts equal: {self.marts_equal}{rebuild}")


# --- the company's nights --------------------------------------------------------------------------------------


def generate_source(source: Path, nights: int, contacts_per_year: int, seed: int) -> list[date]:
    """The whole company written into `source`, with enough weekly exports for the nights; their days."""
    years = math.ceil((nights + 4) / 52)
    generate_company(source, contacts=contacts_per_year * years, years=years, end_date=LAST_EXPORT_DAY, seed=seed,
                     bad_rows=False)
    return sorted({date.fromisoformat(m["day"]) for path in (source / "landing" / "contacts").iterdir()
                   if (m := WEEKLY.fullmatch(path.name))})


def plan_deliveries(source: Path, export_days: list[date], nights: int, rng: random.Random) -> list[Delivery]:
    """Which file comes on which night: the last `nights` export days, the first of them with all before it;
    a month's files the first night after it ended; now and then a night's CRM exports held back to the next
    night, after the newer ones. All four together, never two nights running: the exports overlap by a week,
    so the night without them still has every lead its meetings and deals point to (one entity's export
    missing alone would rightly block the night by the lead-integrity check)."""
    days = export_days[-nights:]
    deliveries = [Delivery(day) for day in days]
    held_back: set[int] = set()
    for night in range(1, nights - 1):
        if night - 1 not in held_back and rng.random() < HELD_BACK_SHARE:
            held_back.add(night)

    def night_of(ready: date) -> int | None:
        return next((i for i, day in enumerate(days) if day >= ready), None)

    for path in sorted((source / "landing").rglob("*.csv")):
        relative = str(path.relative_to(source))
        if weekly := WEEKLY.fullmatch(path.name):
            night = night_of(date.fromisoformat(weekly["day"]))
            if night in held_back:
                night += 1
        else:
            month = date.fromisoformat(MONTHLY.fullmatch(path.name)["month"] + "-01")
            night = night_of(last_day_of_month(month) + timedelta(days=1))
        if night is not None:
            deliveries[night].files[relative] = path.read_text()
    return deliveries


def break_rows(delivery: Delivery, serial: int, rng: random.Random) -> int:
    """A few rows of the night's files broken as the demo's bad rows are (a copy of a valid row with one rule
    broken, a new id), inserted at random lines; returns the next free serial (bad rows' ids stay unique)."""
    for _ in range(rng.randint(0, 3)):
        kind = rng.choice(BAD_ROW_KINDS)
        candidates = [name for name, text in delivery.files.items()
                      if name.startswith(f"landing/{kind.entity}/") and text.count("\n") >= 2]
        if not candidates:
            continue
        name = rng.choice(candidates)
        header, *rows = list(csv.reader(io.StringIO(delivery.files[name])))
        broken, _ = broken_row(kind, dict(zip(header, rng.choice(rows), strict=True)), serial)
        serial += 1
        rows.insert(rng.randint(0, len(rows)), [broken[column] for column in header])
        delivery.files[name] = csv_text([header, *rows])
        delivery.bad_rows[name] += 1
    return serial


def csv_text(rows: list[list[str]]) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue()


def fault_targets(delivery: Delivery) -> list[str]:
    """The night's files a fault may break: those with two data rows or more (one to cut short, one before)."""
    return sorted(name for name, text in delivery.files.items() if text.count("\n") >= 3)


def unprivileged() -> tuple[str, ...]:
    """The command prefix that makes file permissions count: root loses the capabilities that let it read and
    write past them (as in tests/e2e/test_faults.py)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        raise SoakFailure("root without setpriv: a file cannot be made unreadable to membrana (install util-linux)")
    return (setpriv, "--bounding-set", "-dac_override,-dac_read_search")


def choose_faults(nights: int, rng: random.Random) -> dict[int, str]:
    """Night number (from 1) → fault; never on night 1, which has no snapshot to keep."""
    return {night: rng.choice(FAULTS) for night in range(2, nights + 1) if rng.random() < FAULT_SHARE}


# --- what the soak checks --------------------------------------------------------------------------------------


def table_differences(nightly: Path, rebuilt: Path) -> list[str]:
    """One line per table that differs between the two folders' published snapshots (or is in one only)."""
    return snapshot_differences(snapshot_tables(rebuilt), snapshot_tables(nightly), ("rebuilt", "nightly"))


def data_rows(path: Path) -> int:
    """A CSV file's data rows, read here (not by membrana): records after the header, blank lines not counted."""
    with path.open(newline="", encoding="utf-8") as handle:
        return sum(1 for row in csv.reader(handle) if row) - 1


def manifest_mismatches(root: Path, bad_rows: Counter) -> list[str]:
    """One line per landing file the load manifest does not account for: unknown to it, another row count,
    rows not each staged, quarantined or superseded, or other rows quarantined than the soak broke."""
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        manifest = {path: counts for path, *counts in con.execute(
            "select file_path, rows_read, rows_staged, rows_quarantined, rows_superseded from audit.load_manifest"
        ).fetchall()}
    landing = {str(path): path for path in sorted((root / "landing").rglob("*")) if path.is_file()}
    mismatches = [f"{path}: in the manifest, not in landing/" for path in sorted(set(manifest) - set(landing))]
    for name, path in landing.items():
        if name not in manifest:
            mismatches.append(f"{name}: not in the manifest")
            continue
        read, staged, quarantined, superseded = manifest[name]
        expected_bad = bad_rows[str(path.relative_to(root))]
        if read != data_rows(path) or staged is None or read != staged + quarantined + superseded \
                or quarantined != expected_bad:
            mismatches.append(f"{name}: {data_rows(path)} data rows ({expected_bad} broken by the soak), manifest "
                              f"read {read}, staged {staged}, quarantined {quarantined}, superseded {superseded}")
    return mismatches


# --- the nights ------------------------------------------------------------------------------------------------


class Soak:
    def __init__(self, work: Path, nights: int, seed: int, contacts_per_year: int = 300,
                 faults: dict[int, str] | None = None, kill_window: float = 1.0, report=print):
        self.rng = random.Random(seed)
        self.work, self.nights, self.kill_window, self.report = work, nights, kill_window, report
        self.root, self.rebuilt = work / "company", work / "rebuilt"
        export_days = generate_source(work / "source", nights, contacts_per_year, seed)
        self.deliveries = plan_deliveries(work / "source", export_days, nights, self.rng)
        serial = 1
        for delivery in self.deliveries:
            serial = break_rows(delivery, serial, self.rng)
        chosen = choose_faults(nights, self.rng) if faults is None else faults
        # a fault in a landing file needs a file that night (a night whose exports were held back may have none)
        self.faults = {night: fault for night, fault in chosen.items()
                       if fault not in FILE_FAULTS or fault_targets(self.deliveries[night - 1])}
        self.bad_rows: Counter = Counter()
        self.last_run_seconds = 30.0  # how long a run goes (the last night's without a fault, once known)

    def run(self) -> list[NightResult]:
        (self.root / "config").mkdir(parents=True, exist_ok=True)
        for config in (self.work / "source" / "config").iterdir():
            # the run date is the night's (MEMBRANA_RUN_DATE); the demo's freshness limits would block a night
            # until its month's ad spend arrives, which the soak delivers once the month has ended
            if config.name not in ("freshness.csv", "run_date.csv"):
                shutil.copy2(config, self.root / "config" / config.name)
        results = []
        for number, delivery in enumerate(self.deliveries, start=1):
            result = self.night(number, delivery)
            results.append(result)
            self.report(result.line())
        return results

    def membrana_run(self, *args: str, root: Path | None = None, prefix: tuple = ()) -> subprocess.CompletedProcess:
        return run_command([*prefix, MEMBRANA, "run", *args], env=self.env(root or self.root), timeout=1800)

    def env(self, root: Path) -> dict[str, str]:
        return membrana_env(root, MEMBRANA_RUN_DATE=str(self.night_day + timedelta(days=1)))

    def night(self, number: int, delivery: Delivery) -> NightResult:
        self.night_day = delivery.day
        for name, text in delivery.files.items():
            (self.root / name).parent.mkdir(parents=True, exist_ok=True)
            (self.root / name).write_text(text)
        self.bad_rows.update(delivery.bad_rows)
        fault = self.faults.get(number, "")
        started = time.monotonic()
        fault_said = self.cause(fault, number, delivery) if fault else ""
        recovery = self.membrana_run("--rebuild") if fault == "damaged_warehouse" else self.membrana_run()
        seconds = time.monotonic() - started
        # a night that brings no file (its exports held back) is a quiet one: it ends at once, publishing nothing
        must_publish = bool(delivery.files) or bool(fault)
        if recovery.returncode != EXIT_OK or (must_publish and "Run published" not in recovery.stdout):
            raise SoakFailure(f"night {number} ({delivery.day}, fault: {fault_said or '-'}) did not publish: "
                              f"{failure(recovery)}")
        if not fault:
            self.last_run_seconds = seconds
        # night 1 and a night after `--rebuild` built their snapshot from scratch themselves: a rebuild would
        # only build it again the same way
        from_scratch = number == 1 or fault == "damaged_warehouse"
        rebuild_started = time.monotonic()
        differences = [] if from_scratch else self.compare_with_a_rebuild(number)
        rebuild_seconds = 0.0 if from_scratch else time.monotonic() - rebuild_started
        differences += manifest_mismatches(self.root, self.bad_rows)
        result = NightResult(number, delivery.day, fault_said, recovery.returncode, seconds,
                             "built from scratch" if from_scratch else "no" if differences else "yes", rebuild_seconds)
        if differences:
            self.report(result.line())
            raise SoakFailure(f"night {number} ({delivery.day}, fault: {fault_said or '-'}, seed's work folder "
                              f"{self.work}):\n  " + "\n  ".join(differences))
        return result

    def cause(self, fault: str, number: int, delivery: Delivery) -> str:
        """Breaks the night as `fault` says and runs `membrana run` into it; checks how the run ended and that
        the published snapshot is untouched; mends what the fault broke. Returns what happened, in words."""
        before = published_files(self.root)
        if fault == "kill":
            return self.kill_part_way(number, before)
        new_csv = fault_targets(delivery)
        if fault == "damaged_warehouse":
            with (self.root / "warehouse.duckdb").open("r+b") as handle:
                handle.write(b"this is not a DuckDB database" * 100)
            expected, result = EXIT_WAREHOUSE_UNUSABLE, self.membrana_run()
        elif fault == "unreadable_file":
            target = self.root / self.rng.choice(new_csv)
            target.chmod(0o000)
            expected, result = EXIT_SYSTEM_FAULT, self.membrana_run(prefix=unprivileged())
            target.chmod(0o644)
        elif fault == "cut_short_file":
            target = self.root / self.rng.choice(new_csv)
            whole = target.read_text()
            last_line = whole.rstrip("\n").rsplit("\n", 1)[1]
            # the last line ends two characters into its second field: a column short in every entity's file
            # (cut in the last field instead, a three-column file would just hold a shorter value)
            cut = len(whole.rstrip("\n")) - len(last_line) + last_line.index(",") + 3
            target.write_text(whole[:cut])
            expected, result = EXIT_FAILED, self.membrana_run()
            target.write_text(whole)
        else:
            raise ValueError(f"unknown fault {fault!r} (one of {', '.join(FAULTS)})")
        if result.returncode != expected or "Traceback" in result.stderr or result.stderr.count("\n") != 1:
            raise SoakFailure(f"night {number}, {fault}: expected exit {expected} and one line; {failure(result)}")
        if published_files(self.root) != before:
            raise SoakFailure(f"night {number}, {fault}: the run that failed changed the published snapshot")
        return f"{fault} (exit {result.returncode})"

    def kill_part_way(self, number: int, before: dict[str, str]) -> str:
        """`membrana run` killed with -9 (its whole process group) at a random moment once it holds the run
        lock: within `kill_window` of the last quiet night's run (1: anywhere up to its end)."""
        delay = self.rng.uniform(0, self.kill_window * self.last_run_seconds)
        process = subprocess.Popen([str(MEMBRANA), "run"], env=self.env(self.root), start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lock = lock_path(DataFolder(self.root))
        while process.poll() is None and f'"pid": {process.pid}' not in (lock.read_text() if lock.exists() else ""):
            time.sleep(0.05)
        try:
            process.wait(timeout=delay)
            said = f"kill after {delay:.1f} s came late (exit {process.returncode})"
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            said = f"kill -9 {delay:.1f} s into the run"
        after = published_files(self.root)
        if after != before:  # the kill came after the new snapshot's rename: it must be whole
            try:
                snapshot_tables(self.root)
            except duckdb.Error as error:
                raise SoakFailure(f"night {number}, {said}: the published snapshot cannot be read: {error}") from None
        return said

    def compare_with_a_rebuild(self, number: int) -> list[str]:
        """The same landing/ and config/ built from scratch in another folder, in one `membrana run`: a new
        warehouse (`--rebuild` moves the last one aside; deleted here) — the folder is kept only for dbt's
        parsed project, which saves each rebuild its parse."""
        for part in ("landing", "config"):
            shutil.rmtree(self.rebuilt / part, ignore_errors=True)
            shutil.copytree(self.root / part, self.rebuilt / part)
        from_scratch = ("--rebuild",) if (self.rebuilt / "warehouse.duckdb").exists() else ()
        rebuilt = self.membrana_run(*from_scratch, root=self.rebuilt)
        for moved_aside in self.rebuilt.glob("warehouse.duckdb.before-rebuild-*"):
            moved_aside.unlink()
        if rebuilt.returncode != EXIT_OK:
            raise SoakFailure(f"night {number}: the rebuild from scratch failed: {failure(rebuilt)}")
        return table_differences(self.root, self.rebuilt)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--contacts-per-year", type=int, default=300)
    parser.add_argument("--work", type=Path, help="the folder to soak in (default: a new temporary one, kept)")
    args = parser.parse_args(argv)
    work = args.work or Path(tempfile.mkdtemp(prefix=f"membrana-soak-{args.seed}-"))
    print(f"soak: {args.nights} nights, seed {args.seed}, in {work}", flush=True)
    try:
        Soak(work, args.nights, args.seed, args.contacts_per_year,
             report=lambda line: print(line, flush=True)).run()
    except SoakFailure as failed:
        print(f"soak FAILED: {failed}", file=sys.stderr)
        return 1
    print(f"soak: {args.nights} nights, every one equal to its rebuild from scratch", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
