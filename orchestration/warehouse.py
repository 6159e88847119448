"""DuckDB's memory limit and spill folder for membrana's own connections (loader, publish), the same limit
dbt's connection gets from profiles.yml: MEMBRANA_DUCKDB_MEMORY, 2 GB by default. Beyond it DuckDB spills to
<warehouse>.duckdb.tmp in the data folder (where dbt's connection spills too), so a large load or publish
runs slower instead of failing or taking the machine's memory."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

DEFAULT_MEMORY_LIMIT = "2GB"  # as profiles.yml


class MemorySettingError(Exception):
    """MEMBRANA_DUCKDB_MEMORY is not a size DuckDB understands; the message is one line saying so."""


def memory_limit_from_environment() -> str:
    return os.environ.get("MEMBRANA_DUCKDB_MEMORY") or DEFAULT_MEMORY_LIMIT


def spill_dir(warehouse: Path) -> Path:
    """DuckDB's own default for a database file, named here so that in-memory connections spill there too."""
    return warehouse.with_name(warehouse.name + ".tmp")


def set_memory_limit(con: duckdb.DuckDBPyConnection, limit: str | None = None) -> None:
    limit = limit or memory_limit_from_environment()
    try:
        con.execute(f"set memory_limit = '{limit.replace(chr(39), '')}'")
    except duckdb.Error:
        raise MemorySettingError(
            f"MEMBRANA_DUCKDB_MEMORY={limit!r} is not a memory size DuckDB understands (e.g. 2GB, 512MB)"
        ) from None


def check_memory_setting(limit: str | None = None) -> None:
    """Raises MemorySettingError before a run starts rather than in its first step."""
    with duckdb.connect() as con:
        set_memory_limit(con, limit)


def limit_memory(con: duckdb.DuckDBPyConnection, warehouse: Path, limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """`limit`: a DuckDB memory size; None takes MEMBRANA_DUCKDB_MEMORY (or 2 GB), as profiles.yml does."""
    set_memory_limit(con, limit)
    spill = str(spill_dir(warehouse))
    # Set only when it differs: a connection that joined the open warehouse (kept_open) shares its settings,
    # and DuckDB refuses to switch a spill folder it has used, even to the same folder.
    if con.execute("select current_setting('temp_directory')").fetchone()[0] != spill:
        con.execute(f"set temp_directory = '{spill.replace(chr(39), chr(39) * 2)}'")
    return con


def connect_warehouse(warehouse: Path, limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """The warehouse file, opened for writing under membrana's memory limit."""
    return limit_memory(duckdb.connect(str(warehouse)), warehouse, limit)


_kept_open: duckdb.DuckDBPyConnection | None = None


@contextmanager
def kept_open(warehouse: Path) -> Iterator[None]:
    """The warehouse held open in this process while a nightly job runs: every step's own connection then joins
    the open database (about 1 ms) instead of opening the file and reading its catalog again (15–30 ms, some
    80 times a night), and the pages one step read stay cached for the next. The publish releases it first:
    it attaches the file read-only to a database of its own, which DuckDB refuses while another holds it."""
    global _kept_open
    try:
        _kept_open = connect_warehouse(warehouse)
    except (duckdb.Error, OSError):
        _kept_open = None  # the step that opens it next meets the same fault and reports it
    try:
        yield
    finally:
        release_kept_warehouse()


def release_kept_warehouse() -> None:
    global _kept_open
    if _kept_open is None:
        return
    try:
        _kept_open.close()  # the last connection: DuckDB writes its log into the file
    except (duckdb.Error, OSError):
        pass  # a full disk stopped that: the write-ahead log still holds every change, the next open replays it
    _kept_open = None


def check_warehouse(warehouse: Path) -> None:
    """Opens the warehouse (and its catalog) once before a run, so that a damaged file, or one of a newer DuckDB,
    is one line saying how to rebuild it rather than a failure deep in the load. Raises FaultError."""
    from orchestration.nightly.faults import FaultError, fault_in

    if not warehouse.exists():
        return
    try:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("select count(*) from duckdb_tables()").fetchone()
    except (duckdb.Error, OSError) as error:
        fault = fault_in(str(error), warehouse, getattr(error, "filename", None))
        if fault is None:
            raise
        raise FaultError(fault) from None


def move_warehouse_aside(warehouse: Path, stamp: str) -> Path | None:
    """Before a rebuild: the warehouse file (and its write-ahead log) renamed, never deleted, so that nothing
    is lost if it was worth keeping; returns the new name, or None when there was no warehouse."""
    if not warehouse.exists():
        return None
    kept = warehouse.with_name(f"{warehouse.name}.before-rebuild-{stamp}")
    wal = warehouse.with_name(warehouse.name + ".wal")
    if wal.exists():
        wal.rename(kept.with_name(kept.name + ".wal"))
    warehouse.rename(kept)
    return kept
