"""Faults of the machine or of the warehouse file, recognised in whatever error text they surface (Python's
OSError, DuckDB's IO errors, dbt's messages) and turned into the one line a user acts on, with its exit code.

Nothing of the data is at fault in these cases: the disk is full, a file or folder cannot be read or written
by the user running membrana, or warehouse.duckdb is damaged or was written by a newer DuckDB (then
`membrana run --rebuild` recreates it from landing/ and config/, the source of truth)."""

import os
import re
from dataclasses import dataclass
from pathlib import Path

EXIT_WAREHOUSE_UNUSABLE = 5
EXIT_SYSTEM_FAULT = 6

# What the operating system says (strerror), as Python, DuckDB and dbt all repeat it.
DISK_FULL_SIGNS = ("No space left on device", "Disk quota exceeded", "File too large")
NO_ACCESS_SIGNS = ("Permission denied", "Read-only file system", "Operation not permitted")
# What DuckDB says of a database file it cannot use (damaged, cut short, or of another storage version).
DAMAGED_WAREHOUSE_SIGNS = (
    "not a valid DuckDB database file", "Corrupt database file", "Could not read enough bytes",
    "created with a newer version", "database file with storage version number", "database file with version number",
)
QUOTED_PATH = re.compile(r"""["']((?:/|[A-Za-z]:\\)[^"']+)["']""")
STILL_PUBLISHED = "the previous snapshot stays published"


@dataclass(frozen=True)
class Fault:
    line: str
    exit_code: int


class FaultError(Exception):
    """A fault found before the run's job started; its message is the one line."""

    def __init__(self, fault: Fault):
        super().__init__(fault.line)
        self.fault = fault


def named_path(text: str, filename: str | None = None) -> str:
    """The file an error names: Python's OSError.filename, else the first quoted absolute path in its text."""
    if filename:
        return str(filename)
    found = QUOTED_PATH.search(text)
    return found.group(1) if found else ""


def system_fault(text: str, filename: str | None = None) -> Fault | None:
    """The disk is full or a path cannot be read or written: one line saying which and what to do."""
    where = named_path(text, filename)
    at = f" ({where})" if where else ""
    if any(sign in text for sign in DISK_FULL_SIGNS):
        return Fault(f"the disk is full{at}: free space on it and run again; {STILL_PUBLISHED}", EXIT_SYSTEM_FAULT)
    if any(sign in text for sign in NO_ACCESS_SIGNS):
        return Fault(f"permission denied{at}: the user running membrana must be able to read and write the data "
                     f"folder and read every landing and config file; {STILL_PUBLISHED}", EXIT_SYSTEM_FAULT)
    return None


def damaged_warehouse(text: str, warehouse: Path) -> Fault | None:
    """warehouse.duckdb cannot be used; the line says how to rebuild it from the landing files."""
    if not any(sign in text for sign in DAMAGED_WAREHOUSE_SIGNS):
        return None
    if "created with a newer version" in text:
        said = "it was written by a newer version of DuckDB than this membrana's"
    else:
        said = next(line.strip() for line in text.splitlines() if any(s in line for s in DAMAGED_WAREHOUSE_SIGNS))
    return Fault(f"the warehouse {warehouse} cannot be used ({said}): rebuild it from landing/ and config/ with "
                 f"`membrana run --rebuild` (it moves this file aside); {STILL_PUBLISHED}", EXIT_WAREHOUSE_UNUSABLE)


def fault_in(text: str, warehouse: Path, filename: str | None = None) -> Fault | None:
    """The machine's fault first: a full disk can make DuckDB's own files look damaged."""
    return system_fault(text, filename) or damaged_warehouse(text, warehouse)


# What SQLite says (the Dagster instance's run and event storage) when it cannot write; "disk I/O error" is
# also what it says on a full disk, told apart by the space left.
SQLITE_CANNOT_WRITE_SIGNS = ("database or disk is full", "disk I/O error")


def instance_storage_fault(text: str, storage: Path) -> Fault | None:
    """The Dagster instance's storage (its SQLite files) could not be written because the disk is full."""
    if not any(sign in text for sign in SQLITE_CANNOT_WRITE_SIGNS):
        return None
    try:
        stats = os.statvfs(storage)
        nearly_full = stats.f_bavail * stats.f_frsize < 16 << 20
    except OSError:
        nearly_full = False
    if "database or disk is full" in text or nearly_full:
        return Fault(f"the disk is full ({storage}): free space on it and run again; {STILL_PUBLISHED}",
                     EXIT_SYSTEM_FAULT)
    return None
