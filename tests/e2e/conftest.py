"""End-to-end helpers: run `membrana` as a user would (a subprocess) and read the published marts; one
generated company built once per session and shared by the modules that test against a built demo."""

import shutil
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.demo.company import generate_company

MEMBRANA = Path(sys.executable).parent / "membrana"
# The most contacts any module sharing the build asked for (test_pipeline's repeat buyers and ranks need it).
SHARED_DEMO_CONTACTS = 8000


def run_membrana(*args, data_dir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(MEMBRANA), *map(str, args)], capture_output=True, text=True, timeout=600, check=False,
        env={"PATH": str(Path(sys.executable).parent), "MEMBRANA_DATA_DIR": str(data_dir), "HOME": str(data_dir)},
    )


def published_rows(data_dir: Path, table: str) -> list[dict]:
    """Rows of a published table: a mart by name (`kpi_monthly`) or a schema-qualified one (`audit.quarantine`)."""
    qualified = table if "." in table else f"marts.{table}"
    with duckdb.connect() as con:
        con.execute(f"attach '{data_dir / 'published' / 'marts.duckdb'}' as snapshot (read_only)")
        cursor = con.execute(f"select * from snapshot.{qualified}")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def funnel_by_key(rows: list[dict], key_column: str) -> dict:
    return {(row[key_column], row["channel"]): row for row in rows}


def assert_same_funnel(actual: dict, expected: dict, columns, money_columns) -> None:
    """Counts exactly, money to the kopeck: every key, every column."""
    assert set(actual) == set(expected), (
        f"missing {sorted(set(expected) - set(actual))[:5]}, extra {sorted(set(actual) - set(expected))[:5]}"
    )
    for key, expected_row in expected.items():
        for column in columns:
            got, want = actual[key][column], expected_row[column]
            if column in money_columns:
                assert abs(Decimal(str(got)) - want) < Decimal("0.005"), (key, column, got, want)
            else:
                assert got == want, (key, column, got, want)


def write_files(data_dir: Path, files: dict[str, str]) -> None:
    """Each file (path under the data folder: its text) written, folders made as needed."""
    for name, text in files.items():
        path = data_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def run_ok(data_dir: Path, *args) -> None:
    """`membrana run` that must pass."""
    result = run_membrana("run", *args, data_dir=data_dir)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr


def warehouse_rows(data_dir: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(query).fetchall()


def comparable(rows: list[tuple]) -> list[tuple]:
    """Rows in a fixed order, floats to 9 decimals: a sum of doubles may differ in its last bits between
    two builds that add the same values in another order."""
    return sorted(
        (tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows),
        key=lambda row: tuple((v is None, str(v)) for v in row),
    )


def assert_same_tables(nightly: Path, full: Path, schema: str, tables: list[str] | None = None) -> list[str]:
    """Every table of `schema` (or those named) holds the same rows in both warehouses: what nights built
    one by one equals a full rebuild. Returns the tables compared."""
    if tables is None:
        tables = [name for (name,) in warehouse_rows(
            full, f"select table_name from information_schema.tables where table_schema = '{schema}' order by 1"
        )]
    for table in tables:
        query = f"select * from {schema}.{table}"
        assert comparable(warehouse_rows(nightly, query)) == comparable(warehouse_rows(full, query)), table
    return tables


def built_night_by_night_and_in_one(tmp_path_factory, nights: list[dict[str, str]], after_each_night=None):
    """The same exports built twice: night by night (each night's files on top of the last, one
    `membrana run` each) and in one full rebuild of all of them. Returns what `after_each_night` saw of
    each night's folder, the nightly folder and the rebuilt one."""
    nightly = tmp_path_factory.mktemp("nightly")
    seen = []
    for files in nights:
        write_files(nightly, files)
        run_ok(nightly)
        seen.append(after_each_night(nightly) if after_each_night else None)
    full = tmp_path_factory.mktemp("full")
    for files in nights:
        write_files(full, files)
    run_ok(full, "--full-refresh")
    return seen, nightly, full


@dataclass(frozen=True)
class BuiltDemo:
    data_dir: Path
    summary: dict  # what generate_company wrote, bad rows included
    first_run: subprocess.CompletedProcess  # the `membrana run` that built it from empty


def folder_state(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry under `folder` with its size and modification time: any write shows."""
    return {str(path.relative_to(folder)): (path.lstat().st_size, path.lstat().st_mtime_ns)
            for path in folder.rglob("*")}


@dataclass(frozen=True)
class SharedDemo:
    """The built company and an untouched copy of it. Modules always get the same folder: the warehouse
    remembers its landing files by absolute path, so a copy elsewhere would load every file again."""

    demo: BuiltDemo
    pristine: Path
    state: dict[str, tuple[int, int]]

    def restored(self) -> BuiltDemo:
        """The folder as the build left it, put back from the untouched copy if a module changed it."""
        folder = self.demo.data_dir
        if folder_state(folder) != self.state:
            shutil.rmtree(folder)
            shutil.copytree(self.pristine, folder, symlinks=True)  # copy2 keeps mtimes: no file looks new
            assert folder_state(folder) == self.state
        return self.demo


@pytest.fixture(scope="session")
def shared_demo(tmp_path_factory) -> SharedDemo:
    data_dir = tmp_path_factory.mktemp("shared_demo")
    summary = generate_company(data_dir, contacts=SHARED_DEMO_CONTACTS)
    first_run = run_membrana("run", data_dir=data_dir)
    assert first_run.returncode == 0, first_run.stderr
    pristine = tmp_path_factory.mktemp("shared_demo_pristine") / "copy"
    shutil.copytree(data_dir, pristine, symlinks=True)
    return SharedDemo(BuiltDemo(data_dir, summary, first_run), pristine, folder_state(data_dir))


@pytest.fixture(scope="module")
def built_demo(shared_demo) -> BuiltDemo:
    """The shared built company, for a module that only reads it: a write fails the module."""
    demo = shared_demo.restored()
    yield demo
    changed = sorted({path for path, _ in set(folder_state(demo.data_dir).items()) ^ set(shared_demo.state.items())})
    assert not changed, f"this module changed the shared demo (use built_demo_to_change): {changed[:5]}"


@pytest.fixture(scope="module")
def built_demo_to_change(shared_demo) -> BuiltDemo:
    """The shared built company, for a module that runs or edits it: the next module gets it restored."""
    return shared_demo.restored()
