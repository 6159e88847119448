"""A data folder's published snapshot as the tests compare it: its files byte for byte (a failed night must leave
them so), and its tables row for row (two folders, or two engines, that must publish the same)."""

import hashlib
import os
from pathlib import Path

import duckdb

from tests.support.parity import aligned_rows, differences

Snapshot = dict[str, tuple[list[tuple[str, str]], list[tuple]]]  # table: its (column, type) pairs, its rows


def published_files(data_dir: Path) -> dict[str, str]:
    """Every file under published/ by a hash of its bytes, every link by its target."""
    published = data_dir / "published"
    state = {}
    for path in sorted(published.rglob("*")):
        name = str(path.relative_to(published))
        if path.is_symlink():
            state[name] = "-> " + os.readlink(path)
        elif path.is_file():
            state[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def snapshot_tables(data_dir: Path) -> Snapshot:
    """Every table of the published snapshot: its columns with their types, in order, and its rows, the data
    folder's own path taken out of any text (the quarantine names each row's landing file)."""
    tables = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{data_dir / 'published' / 'membrana.duckdb'}' as snapshot (read_only)")
        names = con.execute("select table_schema, table_name from information_schema.tables "
                            "where table_catalog = 'snapshot' order by 1, 2").fetchall()
        for schema, table in names:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns where table_catalog = 'snapshot' "
                "and table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
            rows = con.execute(f"select * from snapshot.{schema}.{table}").fetchall()
            tables[f"{schema}.{table}"] = (columns, [
                tuple(value.replace(str(data_dir), "DATA_DIR") if isinstance(value, str) else value for value in row)
                for row in rows
            ])
    return tables


def snapshot_differences(expected: Snapshot, found: Snapshot, sides: tuple[str, str] = ("DuckDB", "Spark")
                         ) -> list[str]:
    """What `found` has otherwise than `expected`, one line per differing table, each starting with its name
    (rows in any order, floating values within rounding); `sides` names the two in the lines."""
    if sorted(found) != sorted(expected):
        return [f"tables on {sides[0]} {sorted(expected)}, on {sides[1]} {sorted(found)}"]
    lines = []
    for table, (columns, rows) in expected.items():
        found_columns, found_rows = found[table]
        if found_columns != columns:
            lines.append(f"{table}: columns on {sides[0]} {columns}, on {sides[1]} {found_columns}")
            continue
        names = [name for name, _ in columns]
        if differing := differences(names, aligned_rows(names, rows, names),
                                    aligned_rows(names, found_rows, names), sides=sides):
            lines.append(f"{table}: " + "; ".join(differing))
    return lines
