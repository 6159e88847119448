"""Rows of two engines compared: the same values within rounding, whatever order and numeric types each gives."""

import math
from datetime import date, datetime
from decimal import Decimal

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


def differences(columns: list[str], duck: list[tuple], spark: list[tuple], limit: int = 5) -> list[str]:
    found = []
    if len(duck) != len(spark):
        found.append(f"{len(duck)} rows on DuckDB, {len(spark)} on Spark")
    for duck_row, spark_row in zip(sorted(duck, key=sort_key), sorted(spark, key=sort_key)):
        for column, left, right in zip(columns, duck_row, spark_row):
            if not same_value(left, right):
                found.append(f"{column}: DuckDB {left!r} vs Spark {right!r} in DuckDB row {duck_row}")
                break
        if len(found) >= limit:
            break
    return found


def aligned_rows(columns: list[str], rows: list[tuple], order: list[str]) -> list[tuple]:
    positions = [columns.index(column) for column in order]
    return [tuple(normalised(row[position]) for position in positions) for row in rows]
