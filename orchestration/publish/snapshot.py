"""The published snapshot: the audited marts copied to a file analysts and BI read, atomically, and opened
read-only by everything that reads it (summary, dashboard, export, status, planner).

`published/membrana.duckdb` is written under a temporary name and renamed over the old one, so a reader
that holds the old file open keeps reading it undisturbed and a new reader sees the whole new
snapshot, never a half-built one. The Parquet files go to a new folder `published/parquet-<stamp>/`
and the link `published/parquet` is switched to it in one rename. Each publish is also kept in the
snapshot history (publish/history.py), from which `membrana rollback` republishes an earlier one.

Contract v2 renamed the snapshot from `published/marts.duckdb`: a file named `marts` whose schema is also
`marts` made DuckDB reject `select … from marts.kpi_monthly` as ambiguous. Until a folder publishes
again, readers fall back to the old file (it is that folder's last good snapshot); the first publish
after the upgrade removes it (`remove_pre_v2_snapshot`).

When dbt built the marts on Spark, Spark first writes them as Parquet (`ExportedMarts`) and the snapshot is
made from those files, each mart's columns cast to the DuckDB types of its contract, in the contract's order:
the same file as a DuckDB build publishes.
"""

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.publish.history import DEFAULT_KEEP, mark_current, prune_history, record_snapshot
from orchestration.warehouse import limit_memory, release_kept_warehouse

PUBLIC_MARTS = (
    "funnel_daily", "kpi_monthly", "capacity_plan", "capacity_plan_by_channel", "membranes_by_employee",
    "profit_drivers", "plan_vs_fact", "lead_qualification",
    # clients, unit economics, cohorts, attribution and stage velocity (issue 5)
    "clients", "clients_monthly", "unit_economics", "funnel_cohorts", "attribution", "stage_velocity",
    # contacts linked to leads and the unlinked gap behind КФ (issue 4)
    "contact_linking_monthly",
    "alerts",  # membrane drift (issue 6)
    # the metrics layer's daily fact and time spine: `membrana metrics` answers on the snapshot (issue 18)
    "metrics_daily", "metric_time_spine",
)
AUDIT_TABLES = ("quarantine",)
SNAPSHOT_FILE = "membrana.duckdb"  # contract v2: catalog `membrana`, schema `marts`
PRE_V2_SNAPSHOT_FILE = "marts.duckdb"  # its name before contract v2


def snapshot_path(published: Path) -> Path:
    """The snapshot readers open: published/membrana.duckdb, or, on a folder upgraded from before contract
    v2 that has not published since, its last good snapshot under the old name published/marts.duckdb.
    Neither there: the new name (where the next run will publish)."""
    current, old = published / SNAPSHOT_FILE, published / PRE_V2_SNAPSHOT_FILE
    return old if not current.exists() and old.exists() else current


def remove_pre_v2_snapshot(published: Path) -> str | None:
    """After a successful publish: removes the snapshot left under its pre-v2 name; returns the one-line
    notice saying so, or None when there was none."""
    old = published / PRE_V2_SNAPSHOT_FILE
    if not old.exists() or not (published / SNAPSHOT_FILE).exists():
        return None
    old.unlink()
    old.with_name(old.name + ".wal").unlink(missing_ok=True)
    return (f"removed published/{PRE_V2_SNAPSHOT_FILE}, the pre-v2 name of the snapshot; "
            f"it is now published/{SNAPSHOT_FILE}")


@dataclass(frozen=True)
class ExportedMarts:
    """The marts and audit tables as Parquet, one folder per table: `<root>/<schema>/<table>/*.parquet`."""

    root: Path
    contracts: dict[str, list[tuple[str, str]]]  # `schema.table`: its columns and their DuckDB types, in order

    def select(self, schema: str, table: str) -> str:
        files = str(self.root / schema / table / "*.parquet").replace("'", "''")
        columns = self.contracts.get(f"{schema}.{table}")
        selected = ", ".join(f"cast({quoted(name)} as {data_type}) as {quoted(name)}"
                             for name, data_type in columns) if columns else "*"
        return f"select {selected} from read_parquet('{files}')"


def contract_columns(manifest: dict) -> dict[str, list[tuple[str, str]]]:
    """Each published model (`schema.table`) whose every documented column has a data_type, the DuckDB type
    (a contract enforced on DuckDB, or documentation): the columns with their types, in the documented
    order (the order a DuckDB build gives them)."""
    contracts = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] not in ("marts", "audit"):
            continue
        columns = [(column["name"], column.get("data_type")) for column in node["columns"].values()]
        if columns and all(data_type for _, data_type in columns):
            contracts[f"{node['schema']}.{node['alias']}"] = columns
    return contracts


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish_marts(warehouse: Path, published: Path, marts=PUBLIC_MARTS, limit: str | None = None,
                  keep: int = DEFAULT_KEEP, exported: ExportedMarts | None = None) -> dict[str, int]:
    """Writes the snapshot and the Parquet files from the warehouse's marts, or from the marts `exported` by
    Spark, and keeps them in the snapshot history (at most `keep` snapshots); returns the row count of each
    mart published."""
    published.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    snapshot_tmp = published / f".{SNAPSHOT_FILE}.{stamp}.tmp"
    parquet_dir = published / f"parquet-{stamp}"
    parquet_dir.mkdir()
    try:
        rows, files = write_snapshot(warehouse, published, snapshot_tmp, parquet_dir, marts, limit, exported)
        snapshot_id = record_snapshot(published, snapshot_tmp, SNAPSHOT_FILE, parquet_dir, rows, files)
    except BaseException:  # a full disk, say: the half-written new files go, the published ones were not touched
        snapshot_tmp.unlink(missing_ok=True)
        snapshot_tmp.with_name(snapshot_tmp.name + ".wal").unlink(missing_ok=True)
        shutil.rmtree(parquet_dir, ignore_errors=True)
        raise
    os.replace(snapshot_tmp, published / SNAPSHOT_FILE)
    switch_link(published / "parquet", parquet_dir.name)
    remove_old_parquet_dirs(published, keep=parquet_dir.name)
    mark_current(published, snapshot_id)
    prune_history(published, keep)
    return rows


def write_snapshot(warehouse: Path, published: Path, snapshot_tmp: Path, parquet_dir: Path, marts,
                   limit: str | None, exported: ExportedMarts | None) -> tuple[dict[str, int], list[dict]]:
    """The marts and audit tables into the new snapshot file and Parquet folder; their row counts and the
    landing files they were built from (the warehouse's load manifest: the loader runs on DuckDB whichever
    engine builds)."""
    rows = {}
    release_kept_warehouse()  # the read-only attach below needs the file held by no other database here
    # in memory, but under membrana's limit and spilling next to the warehouse: a 10 M mart can be large
    con = limit_memory(duckdb.connect(), warehouse, limit)
    try:
        con.execute(f"attach '{snapshot_tmp}' as snapshot")
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")

        def source(schema: str, table: str) -> str:
            return exported.select(schema, table) if exported else f"select * from warehouse.{schema}.{table}"

        con.execute("create schema snapshot.marts")
        con.execute("create schema snapshot.audit")
        for mart in marts:
            con.execute(f"create table snapshot.marts.{mart} as {source('marts', mart)}")
            con.execute(f"copy snapshot.marts.{mart} to '{parquet_dir / (mart + '.parquet')}' (format parquet)")
            rows[mart] = con.execute(f"select count(*) from snapshot.marts.{mart}").fetchone()[0]
        for table in AUDIT_TABLES:
            con.execute(f"create table snapshot.audit.{table} as {source('audit', table)}")
        files = landing_files(con, published.parent)
        con.execute("detach warehouse")
        con.execute("detach snapshot")
    finally:
        con.close()
    return rows, files


def landing_files(con, data_dir: Path) -> list[dict]:
    """The files the snapshot was built from (the warehouse's load manifest), by path in the data folder."""
    try:
        manifest = con.execute("select entity, file_path, rows_loaded from warehouse.audit.load_manifest "
                               "order by entity, file_path").fetchall()
    except duckdb.CatalogException:
        return []  # a warehouse that never loaded a file
    return [{"entity": entity, "file": in_folder(Path(file_path), data_dir), "rows_loaded": rows_loaded}
            for entity, file_path, rows_loaded in manifest]


def in_folder(path: Path, data_dir: Path) -> str:
    return str(path.relative_to(data_dir)) if path.is_relative_to(data_dir) else str(path)


def switch_link(link: Path, target_name: str) -> None:
    if link.exists() and not link.is_symlink():
        shutil.rmtree(link)  # a plain folder from an older layout
    temporary = link.with_name(f".{link.name}.{target_name}.tmp")
    temporary.symlink_to(target_name)
    os.replace(temporary, link)


def remove_old_parquet_dirs(published: Path, keep: str) -> None:
    """Keeps the current Parquet folder and the one before it (a reader may still be inside it)."""
    folders = sorted(p for p in published.glob("parquet-*") if p.is_dir() and p.name != keep)
    for folder in folders[:-1]:
        shutil.rmtree(folder, ignore_errors=True)


def connect_snapshot(published: Path) -> duckdb.DuckDBPyConnection:
    """The snapshot (snapshot_path) attached read-only as `snapshot`, whichever name its file has."""
    con = duckdb.connect()
    con.execute(f"attach '{snapshot_path(published)}' as snapshot (read_only)")
    return con


def last_complete_month(con) -> object | None:
    row = con.execute("select max(month) from snapshot.marts.capacity_plan where is_complete_month").fetchone()
    return row[0] if row else None
