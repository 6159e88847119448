"""Rows of two engines compared: the same values within rounding, whatever order and numeric types each gives."""

import json
import math
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

RELATIVE_TOLERANCE = 1e-9
ABSOLUTE_TOLERANCE = 1e-6  # a millionth of a rouble or of a rate: rounding, not a different result


def normalised(value):
    """Values of both engines on one footing: every number as float, dates and text as they are."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, Decimal)):
        return float(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return date.fromisoformat(value)  # a hive partition value read back as text
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return value


def sort_key(row: tuple) -> tuple:
    """Exact values first, numbers rounded after, so near-equal rows of both engines line up."""
    exact = tuple((value is None, str(value)) for value in row if not isinstance(value, float))
    rounded = tuple((value is None, round(value, 4) if value is not None else 0)
                    for value in row if isinstance(value, float))
    return exact + rounded


def same_value(left, right) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return math.isclose(left, right, rel_tol=RELATIVE_TOLERANCE, abs_tol=ABSOLUTE_TOLERANCE)
    return left == right


def differences(columns: list[str], expected: list[tuple], found: list[tuple], limit: int = 5,
                sides: tuple[str, str] = ("DuckDB", "Spark")) -> list[str]:
    """How `found` differs from `expected` (rows in any order, numbers within rounding); `sides` names them."""
    lines = []
    if len(expected) != len(found):
        lines.append(f"{len(expected)} rows on {sides[0]}, {len(found)} on {sides[1]}")
    for expected_row, found_row in zip(sorted(expected, key=sort_key), sorted(found, key=sort_key)):
        for column, left, right in zip(columns, expected_row, found_row):
            if not same_value(left, right):
                lines.append(f"{column}: {sides[0]} {left!r} vs {sides[1]} {right!r} in {sides[0]} row {expected_row}")
                break
        if len(lines) >= limit:
            break
    return lines


def aligned_rows(columns: list[str], rows: list[tuple], order: list[str]) -> list[tuple]:
    positions = [columns.index(column) for column in order]
    return [tuple(normalised(row[position]) for position in positions) for row in rows]


def mart_models(manifest_path: Path) -> dict[str, str]:
    """Every model that lands in the `marts` schema, with its materialization."""
    nodes = json.loads(manifest_path.read_text())["nodes"].values()
    return {
        node["alias"]: node["config"]["materialized"]
        for node in nodes
        if node["resource_type"] == "model" and node["schema"] == "marts"
    }


def duckdb_rows(warehouse: Path, mart: str) -> tuple[list[str], list[tuple]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cursor = con.execute(f"select * from marts.{mart}")
        return [column[0] for column in cursor.description], cursor.fetchall()


def spark_rows(spark_warehouse: Path, mart: str) -> tuple[list[str], list[tuple]]:
    """A Spark table's rows, read from its Parquet files (partition columns from the folder names)."""
    files = str(spark_warehouse / "marts.db" / mart / "**" / "*.parquet").replace("'", "''")
    with duckdb.connect() as con:
        cursor = con.execute(f"select * from read_parquet('{files}', hive_partitioning = true)")
        return [column[0] for column in cursor.description], cursor.fetchall()


def mart_differences(duckdb_warehouse: Path, spark_warehouse: Path, mart: str) -> list[str]:
    """How a mart built on Spark differs from the same mart in the DuckDB warehouse: its columns (in any
    order), then its rows within rounding; an empty mart on DuckDB counts as a difference (nothing compared)."""
    duck_columns, duck = duckdb_rows(duckdb_warehouse, mart)
    spark_columns, spark = spark_rows(spark_warehouse, mart)
    if sorted(duck_columns) != sorted(spark_columns):
        return [f"columns on DuckDB {duck_columns}, on Spark {spark_columns}"]
    if not duck:
        return ["empty on DuckDB: nothing would be compared"]
    return differences(duck_columns, aligned_rows(duck_columns, duck, duck_columns),
                       aligned_rows(spark_columns, spark, duck_columns))
