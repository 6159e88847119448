"""Per-file reconciliation after every build: each row the loader read from a file is staged,
quarantined or superseded by a newer version, and nothing else. The counts come from the dbt model
audit.file_reconciliation; they are copied into audit.load_manifest, and a file that does not add up
fails the run with one line naming it. On Spark the model is a Spark table: its counts (one row per file)
are read from there and compared with the DuckDB warehouse's manifest."""

import duckdb
import pyarrow as pa

from orchestration.ingest.landing import ensure_schemas


class ReconciliationError(Exception):
    """A landing file whose rows do not add up; the message is one line naming the file."""


COUNTED = ("rows_read", "rows_staged", "rows_quarantined", "rows_superseded")


def reconcile_files(con: duckdb.DuckDBPyConnection, built_tables=None) -> int:
    """Copies each file's counts into audit.load_manifest of the warehouse `con`; returns how many files were
    checked. `built_tables`: where dbt built audit.file_reconciliation (engine.built_tables), unless `con`.

    Raises ReconciliationError for the first file (in path order) whose counts do not add up."""
    ensure_schemas(con)
    rows = (built_tables or con).execute(
        f"select source_file, {', '.join(COUNTED)} from audit.file_reconciliation").fetchall()
    columns = list(zip(*rows)) or [[] for _ in range(len(COUNTED) + 1)]
    file_counts = pa.table({"source_file": pa.array(columns[0], pa.string()),
                            **{name: pa.array(values, pa.int64()) for name, values in zip(COUNTED, columns[1:])}})
    con.register("file_counts", file_counts)
    for column in ("rows_staged", "rows_quarantined", "rows_superseded"):
        con.execute(
            f"""
            update audit.load_manifest set {column} = coalesce((
                select counts.{column} from file_counts as counts
                where counts.source_file = load_manifest.file_path
            ), 0)
            """
        )
    files = con.execute(
        """
        select manifest.file_path, coalesce(manifest.rows_read, manifest.rows_loaded) as rows_read,
            coalesce(counts.rows_read, 0) as rows_in_raw,
            manifest.rows_staged, manifest.rows_quarantined, manifest.rows_superseded
        from audit.load_manifest as manifest
        left join file_counts as counts on counts.source_file = manifest.file_path
        order by manifest.file_path
        """
    ).fetchall()
    for path, rows_read, rows_in_raw, staged, quarantined, superseded in files:
        if rows_in_raw != rows_read:
            raise ReconciliationError(
                f"{path}: the loader read {rows_read} rows but raw holds {rows_in_raw}; "
                "the warehouse was changed by hand: delete warehouse.duckdb so every file is loaded again"
            )
        if rows_read != staged + quarantined + superseded:
            raise ReconciliationError(
                f"{path}: {rows_read} rows read but {staged} staged + {quarantined} quarantined + "
                f"{superseded} superseded = {staged + quarantined + superseded}; "
                "rows were lost or counted twice between raw and staging (a bug: report it with this file)"
            )
    stray = con.execute(
        """
        select counts.source_file from file_counts as counts
        where counts.source_file not in (select file_path from audit.load_manifest)
        order by 1 limit 1
        """
    ).fetchone()
    if stray:
        raise ReconciliationError(f"{stray[0]}: rows in raw from a file the load manifest does not know")
    return len(files)
