"""Adapters: real export files (Russian CRM CSV/XLSX, call-tracking logs, ad-platform reports, Olist…) onto
the canonical raw entities, driven by one small mapping file per source (see docs/adapters.md).

A source is a folder landing/<source>/ with a mapping config/mappings/<source>.yml that names the entity,
how to read the files (delimiter, encoding, lines before the header, sheet), which export column feeds which
canonical column (or a constant), value maps, and the date and number formats. Reading and normalising happen
in DuckDB in bulk; Python only transcodes non-UTF-8 text in chunks and streams XLSX rows in Arrow batches.
Values stay text: a value that does not match its declared format is kept as it came, so staging quarantines
it with its reason instead of it vanishing here.
"""

import codecs
import csv
import gzip
import hashlib
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zipfile import BadZipFile

import duckdb
import pyarrow as pa
import yaml

from orchestration.data_folder import PACKAGE_DIR
from orchestration.ingest.entities import ENTITIES

PRESETS_DIR = PACKAGE_DIR / "defaults" / "mappings"

MAPPING_KEYS = ("preset", "entity", "read", "columns", "constants", "values", "formats", "totals", "description")
READ_KEYS = ("delimiter", "encoding", "skip_lines", "sheet")
FORMAT_KEYS = ("dates", "decimal", "thousands")
TOTALS_KEYS = ("column", "starts_with")

# Canonical columns by kind, for the date and number normalisation (docs/row_rules.md: what staging parses).
DATE_COLUMNS = {"date", "period_start", "period_end"}
NUMBER_COLUMNS = {"amount", "cost", "impressions", "clicks", "rate_to_base"}
# Spaces that exports put between thousands: plain, no-break (U+00A0) and narrow no-break (U+202F).
SPACES = (" ", "\u00a0", "\u202f")

TRANSCODE_CHUNK = 1 << 20
XLSX_BATCH_ROWS = 10_000


class MappingError(Exception):
    """A mapping or export that cannot be used; the message is one line naming the file and what to fix."""


@dataclass(frozen=True)
class Mapping:
    name: str
    origin: str  # the mapping file (and preset) the rules came from, for messages
    entity: str
    columns: dict[str, str]  # canonical column -> export header
    constants: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # canonical column -> {export value: value}
    delimiter: str = ","
    encoding: str = "utf-8"  # utf-8 (a BOM is skipped), auto (UTF-8, else Windows-1251) or any Python codec
    skip_lines: int = 0
    sheet: str | None = None
    date_formats: tuple[str, ...] = ()
    decimal: str = "."
    thousands: str = ""
    totals_column: str | None = None
    totals_prefixes: tuple[str, ...] = ()
    digest: str = ""  # of the mapping file and its preset: files loaded under another mapping are reloaded


@dataclass(frozen=True)
class SourceRead:
    """Rows of one file, ready for SQL: a DuckDB relation name or table function, its columns, and the
    expression giving each row's line number in the file."""

    relation: str
    header: list[str]
    line_expression: str


def canonical_mapping(entity_name: str) -> Mapping:
    """The mapping of landing/<entity>/: canonical headers, comma-delimited UTF-8."""
    entity = ENTITIES[entity_name]
    return Mapping(entity_name, f"landing/{entity_name}/", entity_name, {c: c for c in entity.columns})


def merged(preset: dict, own: dict) -> dict:
    """The preset with the source's own keys on top; nested sections merge key by key."""
    result = dict(preset)
    for key, value in own.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            inner = dict(result[key])
            for inner_key, inner_value in value.items():
                if isinstance(inner_value, dict) and isinstance(inner.get(inner_key), dict):
                    inner[inner_key] = {**inner[inner_key], **inner_value}
                else:
                    inner[inner_key] = inner_value
            result[key] = inner
        else:
            result[key] = value
    return result


def read_yaml(path: Path) -> dict:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise MappingError(f"{path}: is not a readable YAML mapping ({reason})") from None
    if not isinstance(document, dict):
        raise MappingError(f"{path}: must be a YAML mapping of keys (entity, columns, …)")
    return document


def check_keys(path: Path, section: str, document: dict, allowed: tuple[str, ...]) -> None:
    unknown = [str(key) for key in document if key not in allowed]
    if unknown:
        raise MappingError(f"{path}: unknown key {', '.join(unknown)} in {section} (allowed: {', '.join(allowed)})")


def text_map(path: Path, section: str, value) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MappingError(f"{path}: {section} must be a mapping of name: value")
    return {str(key): "" if item is None else str(item) for key, item in value.items()}


def as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(item) for item in value) if isinstance(value, list) else (str(value),)


def load_mapping(name: str, path: Path) -> Mapping:
    """Reads config/mappings/<name>.yml (or a preset), checks it against the entity and returns it."""
    own = read_yaml(path)
    check_keys(path, "the mapping", own, MAPPING_KEYS)
    origin = str(path)
    document = own
    digest = hashlib.sha256(path.read_bytes())
    if "preset" in own:
        preset_path = PRESETS_DIR / f"{own['preset']}.yml"
        if not preset_path.is_file():
            known = ", ".join(sorted(p.stem for p in PRESETS_DIR.glob("*.yml")))
            raise MappingError(f"{path}: preset {own['preset']!r} does not exist (built-in presets: {known})")
        document = merged(read_yaml(preset_path), {k: v for k, v in own.items() if k != "preset"})
        origin = f"{path} (preset {own['preset']})"
        digest.update(preset_path.read_bytes())
    entity_name = document.get("entity")
    if entity_name not in ENTITIES:
        raise MappingError(f"{path}: entity must be one of {', '.join(ENTITIES)}, not {entity_name!r}")
    entity = ENTITIES[entity_name]
    read = document.get("read") or {}
    formats = document.get("formats") or {}
    totals = document.get("totals") or {}
    for section, value, allowed in (("read", read, READ_KEYS), ("formats", formats, FORMAT_KEYS),
                                    ("totals", totals, TOTALS_KEYS)):
        if not isinstance(value, dict):
            raise MappingError(f"{path}: {section} must be a mapping of keys ({', '.join(allowed)})")
        check_keys(path, section, value, allowed)
    columns = text_map(path, "columns", document.get("columns"))
    constants = text_map(path, "constants", document.get("constants"))
    values_section = document.get("values") or {}
    if not isinstance(values_section, dict):
        raise MappingError(f"{path}: values must map a canonical column to {{export value: canonical value}}")
    values = {str(column): text_map(path, f"values.{column}", value_map) for column, value_map in values_section.items()}
    for section, names in (("columns", columns), ("constants", constants), ("values", values)):
        unknown = [column for column in names if column not in entity.columns]
        if unknown:
            raise MappingError(
                f"{path}: {section} names {', '.join(unknown)}, not a column of {entity_name} "
                f"({', '.join(entity.columns)})"
            )
    uncovered = [column for column in entity.required if column not in columns and column not in constants]
    if uncovered:
        raise MappingError(
            f"{path}: required {entity_name} column {', '.join(uncovered)} has no export column or constant; "
            "add it under columns: or constants:"
        )
    try:
        skip_lines = int(read.get("skip_lines", 0))
    except (TypeError, ValueError):
        raise MappingError(f"{path}: read.skip_lines must be a whole number") from None
    encoding = str(read.get("encoding", "utf-8")).lower()
    if encoding != "auto":
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise MappingError(f"{path}: read.encoding {encoding!r} is not a known encoding (e.g. utf-8, cp1251, auto)") from None
    delimiter = str(read.get("delimiter", ","))
    if len(delimiter) != 1:
        raise MappingError(f"{path}: read.delimiter must be one character, not {delimiter!r}")
    if bool(totals.get("column")) != bool(totals.get("starts_with")):
        raise MappingError(f"{path}: totals needs both column and starts_with")
    return Mapping(
        name=name,
        origin=origin,
        entity=entity_name,
        columns=columns,
        constants=constants,
        values=values,
        delimiter=delimiter,
        encoding=encoding,
        skip_lines=skip_lines,
        sheet=None if read.get("sheet") is None else str(read["sheet"]),
        date_formats=as_tuple(formats.get("dates")),
        decimal=str(formats.get("decimal", ".")),
        thousands=str(formats.get("thousands", "")),
        totals_column=None if totals.get("column") is None else str(totals["column"]),
        totals_prefixes=as_tuple(totals.get("starts_with")),
        digest=digest.hexdigest()[:16],
    )


def source_mappings(landing_dir: Path, config_dir: Path) -> list[tuple[Mapping, Path]]:
    """Every mapped source of the data folder with its landing folder. A landing folder that is neither an
    entity nor has a mapping is an error: its files would otherwise be ignored in silence."""
    mappings_dir = config_dir / "mappings"
    found = []
    if mappings_dir.is_dir():
        for path in sorted(mappings_dir.glob("*.yml")) + sorted(mappings_dir.glob("*.yaml")):
            if path.stem in ENTITIES:
                raise MappingError(f"{path}: a source cannot be named like the entity {path.stem}; rename the file")
            found.append((load_mapping(path.stem, path), landing_dir / path.stem))
    mapped = {mapping.name for mapping, _ in found}
    if landing_dir.is_dir():
        for folder in sorted(p for p in landing_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            if folder.name not in ENTITIES and folder.name not in mapped:
                raise MappingError(
                    f"{folder}: not an entity folder ({', '.join(ENTITIES)}) and no mapping "
                    f"{mappings_dir / (folder.name + '.yml')}; add one (see docs/adapters.md)"
                )
    return found


def sql_text(value: str) -> str:
    return value.replace("'", "''")


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --- reading --------------------------------------------------------------------------------------------

def is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz")


def open_binary(path: Path):
    return gzip.open(path, "rb") if is_gzip(path) else path.open("rb")


def decodes_as(path: Path, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with open_binary(path) as handle:
            for block in iter(lambda: handle.read(TRANSCODE_CHUNK), b""):
                decoder.decode(block)
            decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def transcode(path: Path, encoding: str, target: Path) -> None:
    """Re-encodes the file as UTF-8 in 1 MiB chunks: bounded memory, no per-row Python."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    with open_binary(path) as source, target.open("w", encoding="utf-8", newline="") as out:
        for block in iter(lambda: source.read(TRANSCODE_CHUNK), b""):
            out.write(decoder.decode(block))
        out.write(decoder.decode(b"", final=True))


def text_encoding(path: Path, mapping: Mapping) -> str:
    if mapping.encoding != "auto":
        return mapping.encoding
    return "utf-8-sig" if decodes_as(path, "utf-8-sig") else "cp1251"


def header_names(raw: list[str], path: Path) -> list[str]:
    """The header with blank names (a trailing delimiter) named by position; duplicates are an error."""
    names = [name.strip() or f"column{position}" for position, name in enumerate(raw, start=1)]
    seen = set()
    for name in names:
        if name.lower() in seen:
            raise MappingError(f"{path}: the header names column {name!r} twice; rename one of them in the export")
        seen.add(name.lower())
    return names


def holds_binary_data(path: Path) -> bool:
    """NUL bytes in the first block: an archive, a spreadsheet or a damaged copy under a .csv name, not text."""
    with open_binary(path) as handle:
        return b"\0" in handle.read(1 << 16)


def utf8_csv_header(path: Path, utf8_path: Path, mapping: Mapping) -> list[str]:
    """The header of a UTF-8 CSV below its skip_lines, named as header_names does; errors name `path`."""
    try:
        if holds_binary_data(utf8_path):
            raise MappingError(f"{path}: is not a CSV file (it holds binary data: an archive, a spreadsheet or a "
                               "damaged copy under a .csv name?); put the CSV export in its place")
        with (gzip.open(utf8_path, "rt", encoding="utf-8-sig", newline="") if is_gzip(utf8_path)
              else utf8_path.open("r", encoding="utf-8-sig", newline="")) as handle:
            for _ in range(mapping.skip_lines):
                handle.readline()
            raw_header = next(csv.reader(handle, delimiter=mapping.delimiter), None)
    except UnicodeDecodeError:
        raise MappingError(
            f"{path}: is not UTF-8; set read.encoding: cp1251 (or auto) in {mapping.origin}"
        ) from None
    except (EOFError, csv.Error, gzip.BadGzipFile) as error:
        raise MappingError(f"{path}: cannot be read as CSV ({str(error).splitlines()[0]})") from None
    if not raw_header:
        raise MappingError(f"{path}: is empty (no header line after {mapping.skip_lines} skipped lines)")
    return header_names(raw_header, path)


def utf8_csv_reader(utf8_path: Path, header: list[str], mapping: Mapping) -> str:
    """DuckDB's reader of a UTF-8 CSV with every column declared as text (no sniffing, no type guessing)."""
    columns = "{" + ", ".join(f"'{sql_text(name)}': 'VARCHAR'" for name in header) + "}"
    compression = ", compression = 'gzip'" if is_gzip(utf8_path) else ""
    return (
        f"read_csv('{sql_text(str(utf8_path))}', header = true, auto_detect = false, skip = {mapping.skip_lines}, "
        f"delim = '{sql_text(mapping.delimiter)}', quote = '\"', escape = '\"', columns = {columns}{compression})"
    )


def csv_line_expression(mapping: Mapping) -> str:
    # the header is line skip_lines + 1, so data starts on the line after it
    return f"row_number() over () + {mapping.skip_lines + 1}"


@contextmanager
def csv_source(path: Path, mapping: Mapping) -> Iterator[SourceRead]:
    encoding = text_encoding(path, mapping)
    with tempfile.TemporaryDirectory(prefix="membrana-") as scratch:
        utf8_path = path
        if codecs.lookup(encoding).name not in ("utf-8", "utf-8-sig"):
            utf8_path = Path(scratch) / "utf8.csv"
            try:
                transcode(path, encoding, utf8_path)
            except UnicodeDecodeError as error:
                raise MappingError(
                    f"{path}: byte {error.start} is not valid {encoding}; set read.encoding in {mapping.origin}"
                ) from None
        header = utf8_csv_header(path, utf8_path, mapping)
        yield SourceRead(utf8_csv_reader(utf8_path, header, mapping), header, csv_line_expression(mapping))


def bulk_readable(path: Path, mapping: Mapping) -> bool:
    """A CSV that DuckDB reads as it is (UTF-8, no totals rows to count apart): files like it that share a
    header are loaded together in one statement (insert_mapped_files)."""
    return (
        path.name.lower().endswith((".csv", ".csv.gz"))
        and mapping.encoding != "auto"
        and codecs.lookup(mapping.encoding).name in ("utf-8", "utf-8-sig")
        and not mapping.totals_column
    )


def cell_text(value) -> str | None:
    """An XLSX cell as the text a CSV export would hold: ISO dates, no float noise on whole numbers."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if value.time() == time(0) else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


@contextmanager
def xlsx_source(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping) -> Iterator[SourceRead]:
    """Streams the sheet with openpyxl in read-only mode into DuckDB as Arrow batches of text."""
    import openpyxl  # imported here: only XLSX sources pay for it
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, InvalidFileException, BadZipFile, KeyError, ValueError) as error:
        raise MappingError(f"{path}: cannot be opened as XLSX ({str(error).splitlines()[0]})") from None
    try:
        if mapping.sheet is not None and mapping.sheet not in workbook.sheetnames:
            raise MappingError(
                f"{path}: has no sheet {mapping.sheet!r} (sheets: {', '.join(workbook.sheetnames)}); fix read.sheet"
            )
        sheet = workbook[mapping.sheet] if mapping.sheet is not None else workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        for _ in range(mapping.skip_lines):
            next(rows, None)
        raw_header = next(rows, None)
        if not raw_header or all(cell is None for cell in raw_header):
            raise MappingError(f"{path}: has no header row after {mapping.skip_lines} skipped rows")
        header = header_names([cell_text(cell) or "" for cell in raw_header], path)
        line_column = "__source_line"
        schema = pa.schema([pa.field(name, pa.string()) for name in header] + [pa.field(line_column, pa.int64())])

        def batches() -> Iterator[pa.RecordBatch]:
            buffer: list[list] = []
            for line, row in enumerate(rows, start=mapping.skip_lines + 2):
                if all(cell is None for cell in row):
                    continue  # formatting-only rows Excel keeps below or between the data
                texts = [cell_text(cell) for cell in row[: len(header)]]
                buffer.append(texts + [None] * (len(header) - len(texts)) + [line])
                if len(buffer) == XLSX_BATCH_ROWS:
                    yield pa.RecordBatch.from_arrays([pa.array(c, type=f.type) for c, f in zip(zip(*buffer), schema)],
                                                     schema=schema)
                    buffer = []
            if buffer:
                yield pa.RecordBatch.from_arrays([pa.array(c, type=f.type) for c, f in zip(zip(*buffer), schema)],
                                                 schema=schema)

        view = "xlsx_source_rows"
        con.register(view, pa.RecordBatchReader.from_batches(schema, batches()))
        try:
            yield SourceRead(view, header, quoted(line_column))
        finally:
            con.unregister(view)
    finally:
        workbook.close()


@contextmanager
def table_source(con: duckdb.DuckDBPyConnection, path: Path, relation: str) -> Iterator[SourceRead]:
    """Parquet and JSON (lines): DuckDB's own readers; line = row number (JSON lines: the file's line)."""
    try:
        header = [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]
    except duckdb.Error as error:
        raise MappingError(f"{path}: cannot be read ({str(error).strip().splitlines()[0]})") from None
    yield SourceRead(relation, header_names(header, path), "row_number() over ()")


def open_source(con: duckdb.DuckDBPyConnection, path: Path, mapping: Mapping):
    name = path.name.lower()
    quoted_path = sql_text(str(path))
    if name.endswith(".xlsx"):
        return xlsx_source(con, path, mapping)
    if name.endswith(".parquet"):
        return table_source(con, path, f"read_parquet('{quoted_path}')")
    if name.endswith((".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")):
        return table_source(con, path, f"read_json_auto('{quoted_path}', format = 'newline_delimited')")
    if name.endswith((".json", ".json.gz")):
        return table_source(con, path, f"read_json_auto('{quoted_path}')")
    return csv_source(path, mapping)


SUFFIXES = (".csv", ".csv.gz", ".xlsx", ".parquet", ".json", ".json.gz", ".jsonl", ".jsonl.gz",
            ".ndjson", ".ndjson.gz")


def readable(path: Path) -> bool:
    return path.name.lower().endswith(SUFFIXES)


# --- mapping ----------------------------------------------------------------------------------------------

def literal(value: str) -> str:
    return f"'{sql_text(value)}'"


def normalised(column: str, expression: str, mapping: Mapping) -> str:
    """SQL turning one export value into canonical text; a value that does not fit is left as it came."""
    if column in mapping.values:
        value_map = mapping.values[column]
        cases = " ".join(
            f"when {literal(source.strip().lower())} then {literal(target)}"
            for source, target in value_map.items() if source != "*"
        )
        # '*' maps every other non-empty value (e.g. all intermediate CRM stages → open); empty stays empty
        otherwise = (
            f"case when trim(coalesce({expression}, '')) = '' then {expression} else {literal(value_map['*'])} end"
            if "*" in value_map else expression
        )
        expression = f"(case lower(trim({expression})) {cases} else {otherwise} end)" if cases else f"({otherwise})"
    if mapping.date_formats and (column in DATE_COLUMNS or column.endswith("_at")):
        formats = "[" + ", ".join(literal(f) for f in mapping.date_formats) + "]"
        output = "%Y-%m-%d" if column in DATE_COLUMNS else "%Y-%m-%d %H:%M:%S"
        expression = f"coalesce(strftime(try_strptime(trim({expression}), {formats}), '{output}'), {expression})"
    if column in NUMBER_COLUMNS and (mapping.decimal != "." or mapping.thousands):
        cleaned = f"trim({expression})"
        for space in SPACES:
            cleaned = f"replace({cleaned}, {literal(space)}, '')"
        if mapping.thousands and mapping.thousands not in SPACES:
            cleaned = f"replace({cleaned}, {literal(mapping.thousands)}, '')"
        if mapping.decimal != ".":
            cleaned = f"replace({cleaned}, {literal(mapping.decimal)}, '.')"
        expression = (
            f"(case when regexp_full_match({cleaned}, '-?[0-9]+([.][0-9]+)?') then {cleaned} else {expression} end)"
        )
    return expression


def ends_in_the_middle_of(path: Path, line: int) -> bool:
    """Whether `line` is the file's last and has no line break: the file was cut short while written or copied."""
    breaks, last = 0, b""
    with open_binary(path) as handle:
        for block in iter(lambda: handle.read(TRANSCODE_CHUNK), b""):
            breaks, last = breaks + block.count(b"\n"), block
    return bool(last) and not last.endswith(b"\n") and breaks == line - 1


def read_error(path: Path, mapping: Mapping, message: str) -> str:
    """DuckDB's many-line reader error as one line: the file, the line and what to fix."""
    line = re.search(r"CSV Error on Line: (\d+)", message)
    where = f"{path} line {line.group(1)}" if line else str(path)
    fields = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message)
    if line and (fields or "unterminated quote" in message) and ends_in_the_middle_of(path, int(line.group(1))):
        return (f"{where}: the file ends in the middle of this line, its last (cut short: an export or a copy "
                "that did not finish?); put the whole file in its place — nothing of it was loaded")
    if fields:
        expected, found = fields.groups()
        return (f"{where}: {found} fields where the header has {expected}; quote values that contain "
                f"{mapping.delimiter!r} or fix read.delimiter in {mapping.origin}")
    if "unterminated quote" in message:
        return f"{where}: a quoted value is never closed; fix the quotes in the export"
    return f"{where}: cannot be read ({message.strip().splitlines()[0]})"


@dataclass(frozen=True)
class MappedLoad:
    rows: int
    totals_rows_skipped: int
    extra_columns: tuple[str, ...]  # export columns no canonical column uses: kept in raw as JSON
    absent_columns: tuple[str, ...]  # optional mapped columns the export lacks: loaded empty


@dataclass(frozen=True)
class MappedColumns:
    """The SQL turning a source `src` with a given header into raw.<entity>'s columns."""

    select_list: str  # the entity's columns, then extra_columns
    totals_filter: str  # true for a data row, false for a totals row
    extra_columns: tuple[str, ...]
    absent_columns: tuple[str, ...]


def mapped_columns(mapping: Mapping, path: Path, header: list[str]) -> MappedColumns:
    """Raises MappingError (naming `path`) when the header lacks a required or the totals column."""
    entity = ENTITIES[mapping.entity]
    present = {name.strip().lower(): name for name in header}
    canonical = mapping.name == mapping.entity
    missing = [
        (column, name)
        for column, name in mapping.columns.items()
        if column in entity.required and column not in mapping.constants and name.strip().lower() not in present
    ]
    if missing and canonical:
        raise MappingError(
            f"{path}: required column {', '.join(column for column, _ in missing)} missing from the header "
            f"(a {mapping.entity} file needs {', '.join(entity.required)})"
        )
    if missing:
        raise MappingError(
            f"{path}: required column {', '.join(f'{name!r} ({mapping.entity}.{column})' for column, name in missing)} "
            f"missing from the header; export it or change {mapping.origin}"
        )
    select_list = []
    absent = []
    for column in entity.columns:
        if column in mapping.constants:
            expression = literal(mapping.constants[column])
        elif column in mapping.columns and mapping.columns[column].strip().lower() in present:
            expression = f"cast(src.{quoted(present[mapping.columns[column].strip().lower()])} as varchar)"
        else:
            if column in mapping.columns and not canonical:
                absent.append(mapping.columns[column])
            expression = "cast(null as varchar)"
        select_list.append(f"{normalised(column, expression, mapping)} as {column}")
    used = {name.strip().lower() for name in mapping.columns.values()}
    extras = [name for name in header if name.strip().lower() not in used]
    extra_json = (
        "to_json(map_from_entries([" + ", ".join(
            f"({literal(name)}, cast(src.{quoted(name)} as varchar))" for name in extras
        ) + "]))" if extras else "cast(null as varchar)"
    )
    select_list.append(f"{extra_json} as extra_columns")
    totals_filter = "true"
    if mapping.totals_column:
        if mapping.totals_column.strip().lower() not in present:
            raise MappingError(
                f"{path}: totals column {mapping.totals_column!r} is not in the header; fix totals.column in "
                f"{mapping.origin}"
            )
        totals_source = f"lower(trim(cast(src.{quoted(present[mapping.totals_column.strip().lower()])} as varchar)))"
        totals_filter = "not coalesce(" + " or ".join(
            f"starts_with({totals_source}, {literal(prefix.strip().lower())})" for prefix in mapping.totals_prefixes
        ) + ", false)"
    return MappedColumns(", ".join(select_list), totals_filter, tuple(extras), tuple(absent))


def raw_column_list(entity_name: str) -> str:
    return ", ".join(ENTITIES[entity_name].columns) + ", extra_columns, source_file, source_line, loaded_at"


def insert_mapped(con, mapping: Mapping, path: Path, loaded_at: datetime) -> MappedLoad:
    """Appends one export file to raw.<entity> through its mapping. Runs inside the caller's transaction."""
    with open_source(con, path, mapping) as source:
        columns = mapped_columns(mapping, path, source.header)
        numbered = f"(select *, {source.line_expression} as __line from {source.relation}) as src"
        try:
            con.execute(
                f"create or replace temp table mapped_file as select {columns.select_list}, "
                f"? as source_file, src.__line as source_line, ? as loaded_at, {columns.totals_filter} as is_data "
                f"from {numbered}",
                [str(path), loaded_at],
            )
            rows, totals = con.execute(
                "select count(*) filter (where is_data), count(*) filter (where not is_data) from mapped_file"
            ).fetchone()
            con.execute(
                f"insert into raw.{mapping.entity} ({raw_column_list(mapping.entity)}) "
                f"select {raw_column_list(mapping.entity)} from mapped_file where is_data"
            )
            con.execute("drop table mapped_file")
        except duckdb.Error as error:
            # the caller's transaction is aborted now: its rollback also drops the temporary table
            raise MappingError(read_error(path, mapping, str(error))) from None
    return MappedLoad(rows, totals, columns.extra_columns, columns.absent_columns)


def insert_mapped_files(con, mapping: Mapping, header: list[str], paths: list[Path], loaded_at: datetime) -> None:
    """Appends bulk_readable files that share `header` to raw.<entity> in one statement: each file is its own
    read (so its rows are numbered from its own first data line), all of them one union streamed into raw.
    Runs inside the caller's transaction; a line DuckDB cannot read raises duckdb.Error for the whole batch."""
    columns = mapped_columns(mapping, paths[0], header)
    reads = " union all ".join(
        f"select *, {csv_line_expression(mapping)} as __line, {literal(str(path))} as __file "
        f"from {utf8_csv_reader(path, header, mapping)}"
        for path in paths
    )
    con.execute(
        f"insert into raw.{mapping.entity} ({raw_column_list(mapping.entity)}) "
        f"select {columns.select_list}, src.__file, src.__line, ? from ({reads}) as src",
        [loaded_at],
    )
