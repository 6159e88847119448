"""End-to-end helpers: run `membrana` as a user would (a subprocess) and read the published marts."""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb

MEMBRANA = Path(sys.executable).parent / "membrana"


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

