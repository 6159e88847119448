"""Landing → raw: every export file into DuckDB's `raw` schema with DuckDB's own readers, in bulk.

Every value lands as text (typing and validation happen in dbt staging, so a bad value becomes a
quarantine row with its reason instead of a failed load). Each row keeps its file, line and load time.
`audit.load_manifest` remembers each file's size, mtime and hash: a file already loaded is skipped,
a changed file under the same name replaces the rows it loaded before. After each build it also holds
where the file's rows ended up (staged, quarantined, superseded; see reconciliation.py).
Files of landing/<entity>/ are canonical; files of landing/<source>/ go through the source's mapping
(orchestration/ingest/adapters.py, docs/adapters.md).
"""

import csv
import gzip
import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from orchestration.ingest.adapters import (
    Mapping,
    MappingError,
    bulk_readable,
    canonical_mapping,
    insert_mapped,
    insert_mapped_files,
    mapped_columns,
    readable,
    source_mappings,
    utf8_csv_header,
)
from orchestration.ingest.config_rules import MAY_BE_EMPTY, NULLABLE_COLUMNS, PLAN_TARGETS, first_broken_rule
from orchestration.ingest.entities import CONFIG_FILES, ENTITIES


class LandingError(Exception):
    """A file that cannot be loaded; the message is one line naming the file and what to fix."""


READERS = {
    # CSV: the header is read here and the columns declared, so DuckDB skips sniffing every file
    # (50 ms a file, most of the load time for a folder of small daily exports).
    ".csv": "read_csv('{path}', header = true, auto_detect = false, delim = ',', quote = '\"', "
    "escape = '\"', columns = {columns})",
    ".csv.gz": "read_csv('{path}', header = true, auto_detect = false, delim = ',', quote = '\"', "
    "escape = '\"', compression = 'gzip', columns = {columns})",
    ".parquet": "read_parquet('{path}')",
    ".json": "read_json_auto('{path}')",
    ".jsonl": "read_json_auto('{path}', format = 'newline_delimited')",
    ".ndjson": "read_json_auto('{path}', format = 'newline_delimited')",
}
# rows_read: data rows the loader read (= rows_loaded into raw); the rest: where those rows ended up.
MANIFEST_RECONCILED_COLUMNS = ("rows_read", "rows_staged", "rows_quarantined", "rows_superseded")
# A CSV file's first data row is line 2 of the file (line 1 is the header).
FIRST_DATA_LINE = {".csv": 2, ".csv.gz": 2}


@dataclass(frozen=True)
class FileLoad:
    entity: str
    path: str
    status: str  # loaded | replaced | unchanged
    rows: int
    # said once, when the file is loaded: extra columns kept, mapped columns absent, totals rows skipped
    notes: tuple[str, ...] = ()


def file_suffix(path: Path) -> str:
    name = path.name.lower()
    return next((suffix for suffix in sorted(READERS, key=len, reverse=True) if name.endswith(suffix)), "")


def landing_files(entity_dir: Path) -> list[Path]:
    """Files of one entity's landing folder, in name order; anything unreadable is an error, not skipped."""
    if not entity_dir.is_dir():
        return []
    files = sorted(p for p in entity_dir.iterdir() if p.is_file() and not p.name.startswith("."))
    for path in files:
        if not readable(path):
            raise LandingError(
                f"{path}: unsupported file type; landing files must be one of {', '.join(READERS)}, .xlsx"
            )
    return files


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists config")
    con.execute("create schema if not exists audit")
    con.execute(
        """
        create table if not exists audit.load_manifest (
            entity varchar, file_path varchar, file_size bigint, file_mtime double, file_hash varchar,
            rows_loaded bigint, loaded_at timestamp
        )
        """
    )
    # Filled after each build from audit.file_reconciliation (orchestration/build/reconciliation.py);
    # added to warehouses created before they existed.
    for column in MANIFEST_RECONCILED_COLUMNS:
        con.execute(f"alter table audit.load_manifest add column if not exists {column} bigint")
    con.execute("create table if not exists audit.build_state (state_key varchar primary key, state_value varchar)")
    for entity in ENTITIES.values():
        columns = ", ".join(f"{column} varchar" for column in entity.columns)
        con.execute(
            f"create table if not exists raw.{entity.name} "
            f"({columns}, source_file varchar, source_line bigint, loaded_at timestamp)"
        )
        # export columns no canonical column uses, as a JSON object (added here for older warehouses too)
        con.execute(f"alter table raw.{entity.name} add column if not exists extra_columns varchar")


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sql_text(value: str) -> str:
    return value.replace("'", "''")


def csv_header(path: Path) -> list[str]:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), None)
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise LandingError(f"{path}: cannot be read as UTF-8 CSV ({error})") from None
    if not header:
        raise LandingError(f"{path}: is empty (no header line)")
    return header


def reader_sql(con: duckdb.DuckDBPyConnection, path: Path) -> tuple[str, list[str]]:
    """The DuckDB table function that reads `path`, and the file's column names."""
    suffix = file_suffix(path)
    if suffix in FIRST_DATA_LINE:
        header = csv_header(path)
        if len(set(header)) != len(header):
            raise LandingError(f"{path}: the header names a column twice")
        columns = "{" + ", ".join(f"'{sql_text(name)}': 'VARCHAR'" for name in header) + "}"
        return READERS[suffix].format(path=sql_text(str(path)), columns=columns), header
    reader = READERS[suffix].format(path=sql_text(str(path)))
    try:
        return reader, [row[0] for row in con.execute(f"describe select * from {reader}").fetchall()]
    except duckdb.Error as error:
        first_line = str(error).strip().splitlines()[0]
        raise LandingError(f"{path}: cannot be read ({first_line})") from None


# Files per bulk statement: DuckDB plans a union of N reads in time growing faster than N (0.2 s at 100).
FILES_PER_STATEMENT = 64


@dataclass(frozen=True)
class ManifestEntry:
    size: int
    mtime: float
    digest: str
    rows: int


@dataclass
class PendingFile:
    """A file whose size or mtime differs from the manifest's (or that the manifest does not know)."""

    path: Path
    size: int
    mtime: float
    known: ManifestEntry | None
    hashing: Future  # its SHA-256, computed in a thread while DuckDB reads
    mapping_digest: str

    def digest(self) -> str:
        return self.hashing.result() + self.mapping_digest


def manifest_entries(con, files: list[Path]) -> dict[str, ManifestEntry]:
    if not files:
        return {}
    rows = con.execute(
        "select file_path, file_size, file_mtime, file_hash, rows_loaded from audit.load_manifest "
        "where file_path in (select unnest(?))",
        [[str(path) for path in files]],
    ).fetchall()
    return {path: ManifestEntry(size, mtime, digest, loaded) for path, size, mtime, digest, loaded in rows}


def forget_earlier_load(con, entity_name: str, file: PendingFile) -> None:
    """A changed file replaces what it loaded before; runs inside the caller's transaction."""
    con.execute(f"delete from raw.{entity_name} where source_file = ?", [str(file.path)])
    con.execute("delete from audit.load_manifest where file_path = ?", [str(file.path)])
    # Rows that were counted before are gone: the next build must start from scratch.
    con.execute("insert or replace into audit.build_state values ('needs_full_refresh', 'true')")


def record_loads(con, entity_name: str, loads: list[tuple[PendingFile, int]], loaded_at: datetime) -> None:
    con.executemany(
        "insert into audit.load_manifest (entity, file_path, file_size, file_mtime, file_hash, "
        "rows_loaded, rows_read, loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?)",
        [[entity_name, str(file.path), file.size, file.mtime, file.digest(), rows, rows, loaded_at]
         for file, rows in loads],
    )


def file_notes(entity_name: str, path: Path, extra_columns, absent_columns, totals_rows_skipped: int = 0):
    notes = []
    if extra_columns:
        notes.append(f"{path}: extra columns kept in raw.{entity_name}.extra_columns, not used: "
                     f"{', '.join(extra_columns)}")
    if absent_columns:
        notes.append(f"{path}: mapped columns absent from the header, loaded empty: {', '.join(absent_columns)}")
    if totals_rows_skipped:
        notes.append(f"{path}: {totals_rows_skipped} totals row(s) not counted")
    return tuple(notes)


def load_one(con, entity_name: str, file: PendingFile, mapping: Mapping, loaded_at: datetime) -> FileLoad:
    """One file in its own transaction (through the mapping's reader of its format)."""
    con.execute("begin transaction")
    try:
        if file.known:
            forget_earlier_load(con, entity_name, file)
        try:
            mapped = insert_mapped(con, mapping, file.path, loaded_at)
        except MappingError as error:
            raise LandingError(str(error)) from None
        record_loads(con, entity_name, [(file, mapped.rows)], loaded_at)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    notes = file_notes(entity_name, file.path, mapped.extra_columns, mapped.absent_columns, mapped.totals_rows_skipped)
    return FileLoad(entity_name, str(file.path), "replaced" if file.known else "loaded", mapped.rows, notes)


def load_in_bulk(con, entity_name: str, groups: dict[tuple[str, ...], list[PendingFile]], mapping: Mapping,
                 loaded_at: datetime) -> dict[Path, FileLoad]:
    """Files that DuckDB reads as they are, grouped by header: one statement per group (in chunks of
    FILES_PER_STATEMENT) and one transaction for all. Raises duckdb.Error, with nothing loaded, when a
    line of any of them cannot be read."""
    files = [file for group in groups.values() for file in group]
    if not files:
        return {}
    con.execute("begin transaction")
    try:
        for file in files:
            if file.known:
                forget_earlier_load(con, entity_name, file)
        for header, group in groups.items():
            for start in range(0, len(group), FILES_PER_STATEMENT):
                chunk = [file.path for file in group[start:start + FILES_PER_STATEMENT]]
                insert_mapped_files(con, mapping, list(header), chunk, loaded_at)
        # this load's rows of each file: older rows of a replaced file were deleted above
        rows = dict(con.execute(
            f"select source_file, count(*) from raw.{entity_name} where loaded_at = ? group by source_file",
            [loaded_at],
        ).fetchall())
        loads = [(file, rows.get(str(file.path), 0)) for file in files]
        record_loads(con, entity_name, loads, loaded_at)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    results = {}
    for header, group in groups.items():
        for file in group:
            columns = mapped_columns(mapping, file.path, list(header))
            results[file.path] = FileLoad(
                entity_name, str(file.path), "replaced" if file.known else "loaded", rows.get(str(file.path), 0),
                file_notes(entity_name, file.path, columns.extra_columns, columns.absent_columns),
            )
    return results


def load_entity(
    con, entity_name: str, entity_dir: Path, loaded_at: datetime, mapping: Mapping | None = None
) -> list[FileLoad]:
    """Loads every new or changed file of one entity's folder (or of a mapped source's folder, through its
    mapping). UTF-8 CSV files go in bulk (load_in_bulk), the others one by one, each its own transaction;
    if the bulk statement meets a line it cannot read, its files go one by one too, so that the error names
    the file and line. A file that cannot be loaded does not keep the others out: they are loaded, then
    the first error (in file name order) is raised."""
    ensure_schemas(con)
    reader_mapping = mapping or canonical_mapping(entity_name)
    # a mapped file's hash carries its mapping's: a changed mapping reloads the source's files
    mapping_digest = f"+{mapping.digest}" if mapping else ""
    files = landing_files(entity_dir)
    known = manifest_entries(con, files)
    results: dict[Path, FileLoad] = {}
    errors: dict[Path, str] = {}
    with ThreadPoolExecutor(max_workers=1) as hasher:
        changed = []
        for path in files:
            stat = path.stat()
            entry = known.get(str(path))
            if entry and entry.size == stat.st_size and entry.mtime == stat.st_mtime \
                    and entry.digest.endswith(mapping_digest):
                results[path] = FileLoad(entity_name, str(path), "unchanged", entry.rows)
            else:
                changed.append((path, stat, entry))
        # files the manifest knows first: whether they changed at all is decided by their hash
        changed.sort(key=lambda item: item[2] is None)
        pending = [PendingFile(path, stat.st_size, stat.st_mtime, entry, hasher.submit(file_hash, path), mapping_digest)
                   for path, stat, entry in changed]
        to_load = []
        for file in pending:
            if file.known and file.known.digest == file.digest():
                con.execute("update audit.load_manifest set file_mtime = ? where file_path = ?",
                            [file.mtime, str(file.path)])
                results[file.path] = FileLoad(entity_name, str(file.path), "unchanged", file.known.rows)
            else:
                to_load.append(file)
        groups: dict[tuple[str, ...], list[PendingFile]] = {}
        one_by_one = []
        for file in to_load:
            if not bulk_readable(file.path, reader_mapping):
                one_by_one.append(file)
                continue
            try:
                header = utf8_csv_header(file.path, file.path, reader_mapping)
                mapped_columns(reader_mapping, file.path, header)
            except MappingError as error:
                errors[file.path] = str(error)
                continue
            groups.setdefault(tuple(header), []).append(file)
        try:
            results.update(load_in_bulk(con, entity_name, groups, reader_mapping, loaded_at))
        except duckdb.Error:
            one_by_one += [file for group in groups.values() for file in group]
        for file in sorted(one_by_one, key=lambda file: file.path):
            try:
                results[file.path] = load_one(con, entity_name, file, reader_mapping, loaded_at)
            except LandingError as error:
                errors[file.path] = str(error)
    if errors:
        first = min(errors)
        others = f" (and {len(errors) - 1} more file(s) that cannot be loaded)" if len(errors) > 1 else ""
        raise LandingError(errors[first] + others)
    return [results[path] for path in files]


def load_entity_and_sources(
    con, entity_name: str, landing_dir: Path, config_dir: Path, loaded_at: datetime
) -> list[FileLoad]:
    """landing/<entity>/ and every landing/<source>/ whose mapping (config/mappings/<source>.yml) feeds it."""
    try:
        sources = source_mappings(landing_dir, config_dir)
    except MappingError as error:
        raise LandingError(str(error)) from None
    loads = load_entity(con, entity_name, landing_dir / entity_name, loaded_at)
    for mapping, folder in sources:
        if mapping.entity == entity_name:
            loads += load_entity(con, entity_name, folder, loaded_at, mapping)
    return loads


OPTIONAL_CONFIG_COLUMNS = {"channels": ("flow",)}

# Config values that must parse, checked before anything is built so that a typo in a settings file
# is one clear line instead of a failed dbt model.
CONFIG_TYPES = {
    "channel_rules": {"priority": "integer"},
    "contact_linking": {"link_window_days": "integer"},
    "fixation_cost": {"effective_from": "date", "cost_per_fixed_lead": "decimal(28, 6)"},
    "capacity": {
        "effective_from": "date",
        **{
            column: "decimal(28, 6)"
            for column in CONFIG_FILES["capacity"]
            if column not in ("effective_from", "base_currency")
        },
    },
    "plan": {"month": "date", **{column: "decimal(28, 6)" for column in PLAN_TARGETS}},
}


def config_file(name: str, config_dir: Path, defaults_dir: Path) -> Path:
    own = config_dir / f"{name}.csv"
    return own if own.is_file() else defaults_dir / f"{name}.csv"


def load_config(con, name: str, config_dir: Path, defaults_dir: Path) -> Path:
    """Replaces config.<name> with the data folder's file, or the shipped default; returns the file used."""
    ensure_schemas(con)
    path = config_file(name, config_dir, defaults_dir)
    reader, columns = reader_sql(con, path)
    present = [column.strip().lower() for column in columns]
    missing = [column for column in CONFIG_FILES[name] if column not in present]
    if missing:
        raise LandingError(f"{path}: column {', '.join(missing)} missing (needs {', '.join(CONFIG_FILES[name])})")
    select_list = ", ".join(
        [f'trim("{column}") as {column}' for column in CONFIG_FILES[name]]
        + [f'trim("{column}") as {column}' if column in present else f"cast(null as varchar) as {column}"
           for column in OPTIONAL_CONFIG_COLUMNS.get(name, ())]
    )
    con.execute(f"create or replace table config.{name} as select {select_list} from {reader}")
    if name not in MAY_BE_EMPTY and con.execute(f"select count(*) from config.{name}").fetchone()[0] == 0:
        raise LandingError(f"{path}: has no rows")
    for column, data_type in CONFIG_TYPES.get(name, {}).items():
        empty_is_bad = "false" if column in NULLABLE_COLUMNS.get(name, ()) else "value is null"
        bad = con.execute(
            f"""
            select line, value from (
                select row_number() over () + 1 as line, {column} as value from config.{name}
            ) where {empty_is_bad} or (value is not null and try_cast(value as {data_type}) is null) limit 1
            """
        ).fetchone()
        if bad:
            raise LandingError(f"{path} line {bad[0]}: {column} {bad[1]!r} is not a valid {data_type.split('(')[0]}")
    broken_rule = first_broken_rule(con, name)
    if broken_rule:
        raise LandingError(f"{path} {broken_rule}")
    return path


def config_fingerprint(config_dir: Path, defaults_dir: Path) -> str:
    """A hash of every config file in use: when it changes, every day must be rebuilt."""
    digest = hashlib.sha256()
    for name in sorted(CONFIG_FILES):
        digest.update(file_hash(config_file(name, config_dir, defaults_dir)).encode())
    return digest.hexdigest()
