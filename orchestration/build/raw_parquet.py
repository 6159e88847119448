"""Raw → Parquet for Spark: the landing → raw step stays the one DuckDB loader; Spark reads its result.

Every table of the warehouse's `raw` and `config` schemas is written to
`<data folder>/raw_parquet/<schema>/<table>/data.parquet`, the folder the dbt sources point at on the
Spark target (macro `register_parquet_sources`). Each table is written to a sibling folder first and
swapped in by rename, so Spark never reads a half-written table.
"""

import shutil
from pathlib import Path

import duckdb

from orchestration.data_folder import data_folder_from_environment

EXPORTED_SCHEMAS = ("raw", "config")


def export_raw_parquet(warehouse: Path, out_dir: Path) -> dict[str, int]:
    """Writes every raw and config table of `warehouse` under `out_dir`; returns rows per `schema.table`."""
    rows = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in {EXPORTED_SCHEMAS} and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        for schema, table in tables:
            final = out_dir / schema / table
            staging = out_dir / schema / f".{table}.writing"
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            escaped = str(staging / "data.parquet").replace("'", "''")
            con.execute(f"copy {schema}.{table} to '{escaped}' (format parquet, compression zstd)")
            rows[f"{schema}.{table}"] = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
            previous = out_dir / schema / f".{table}.previous"
            shutil.rmtree(previous, ignore_errors=True)
            if final.exists():
                final.rename(previous)
            staging.rename(final)
            shutil.rmtree(previous, ignore_errors=True)
    return rows


def main() -> None:
    """`python -m orchestration.build.raw_parquet`: export the data folder's raw layer for Spark."""
    folder = data_folder_from_environment()
    rows = export_raw_parquet(folder.warehouse, folder.raw_parquet)
    print(f"{sum(rows.values())} rows of {len(rows)} tables written to {folder.raw_parquet}")


if __name__ == "__main__":
    main()
