"""Read what a run left in its data folder (the published marts, the warehouse's tables, the run report)
and compare two builds of the same exports."""

import json
from decimal import Decimal
from pathlib import Path

import duckdb

from tests.support.membrana import run_ok, write_files


def published_rows(data_dir: Path, table: str) -> list[dict]:
    """Rows of a published table: a mart by name (`kpi_monthly`) or a schema-qualified one (`audit.quarantine`)."""
    qualified = table if "." in table else f"marts.{table}"
    with duckdb.connect() as con:
        con.execute(f"attach '{data_dir / 'published' / 'membrana.duckdb'}' as snapshot (read_only)")
        cursor = con.execute(f"select * from snapshot.{qualified}")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


def warehouse_rows(data_dir: Path, query: str) -> list[tuple]:
    """A query's rows on the working warehouse (warehouse.duckdb, every schema), read only."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(query).fetchall()


def run_report(data_dir: Path) -> dict:
    """The last run's report (logs/run_report.json)."""
    return json.loads((data_dir / "logs" / "run_report.json").read_text())


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
