"""`membrana export`: the published marts as CSV, Parquet or Excel files, for people without a SQL tool."""

from pathlib import Path

from orchestration.publish.snapshot import connect_snapshot, snapshot_path

FORMATS = ("csv", "parquet", "xlsx")
EXCEL_MAX_ROWS = 1_048_575  # one row of Excel's 1,048,576 is the header


class ExportError(Exception):
    """Something the user asked for that the snapshot cannot give; the message is one line."""


def published_marts(published: Path) -> list[str]:
    with connect_snapshot(published) as con:
        return [name for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'snapshot' and schema_name = 'marts' "
            "order by table_name").fetchall()]


def export_marts(published: Path, out_dir: Path, marts: list[str], file_format: str) -> dict[str, tuple[Path, int]]:
    """Writes one file per mart; returns each mart's file and row count."""
    if not (snapshot := snapshot_path(published)).exists():
        raise ExportError(f"nothing published yet at {snapshot}: run `membrana run` first")
    available = published_marts(published)
    unknown = [mart for mart in marts if mart not in available]
    if unknown:
        raise ExportError(f"no mart named {', '.join(unknown)}; published marts: {', '.join(available)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    with connect_snapshot(published) as con:
        for mart in marts or available:
            target = out_dir / f"{mart}.{file_format}"
            rows = con.execute(f"select count(*) from snapshot.marts.{mart}").fetchone()[0]
            if file_format == "xlsx":
                if rows > EXCEL_MAX_ROWS:
                    raise ExportError(f"{mart} has {rows:,} rows, more than an Excel sheet holds: use csv or parquet")
                con.execute(f"select * from snapshot.marts.{mart}").df().to_excel(target, sheet_name=mart, index=False)
            else:
                options = "format csv, header true" if file_format == "csv" else "format parquet"
                con.execute(f"copy snapshot.marts.{mart} to '{target}' ({options})")
            written[mart] = (target, rows)
    return written
