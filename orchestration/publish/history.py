"""Snapshot history: the last N published snapshots, each with what it was built from and the report of
the run that published it, so that a night which published wrong numbers can be rolled back
(publish/rollback.py).

```
published/history/<id>/              one published snapshot; id = when it was published, 20261202T021503
  membrana.duckdb                    the snapshot, as published (a hard link: no extra space while published)
  parquet/<mart>.parquet             its Parquet files (hard links too)
  dashboard.html                     its dashboard, as that run rendered it
  run_report.json, run_report.md     the report of the run that published it (`membrana run`)
  snapshot.json                      when, rows per mart, the landing files it was built from
published/history/current.json       which snapshot is published, and whether a rollback put it there
```

A published file is never written again (readers open it read-only, publish and rollback replace it by
rename), so the entry and the published name can share one file. An entry is written under a temporary
name and renamed into place: a listing never sees half an entry. How many are kept is the `keep` setting
of config/snapshots.csv (default 7); the published one is never removed.
"""

import csv
import json
import os
import shutil
from datetime import datetime
from pathlib import Path

HISTORY_DIR = "history"  # in published/
ENTRY_FILE = "snapshot.json"
CURRENT_FILE = "current.json"
ENTRY_PARQUET_DIR = "parquet"
SETTINGS_FILE = "snapshots.csv"
DEFAULT_KEEP = 7
ID_FORMAT = "%Y%m%dT%H%M%S"


class SnapshotHistoryError(Exception):
    """One line for the user: a setting that cannot be used, a snapshot that is not kept."""


def history_dir(published: Path) -> Path:
    return published / HISTORY_DIR


def snapshots_to_keep(config_dir: Path, defaults_dir: Path) -> int:
    """The `keep` setting of config/snapshots.csv (`setting,value` rows), else of the shipped default."""
    settings_file = config_dir / SETTINGS_FILE
    if not settings_file.exists():
        settings_file = defaults_dir / SETTINGS_FILE
    if not settings_file.exists():
        return DEFAULT_KEEP
    with open(settings_file, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        if not {"setting", "value"} <= set(reader.fieldnames or []):
            raise SnapshotHistoryError(f"config/{SETTINGS_FILE}: expected the columns setting,value")
        settings = {(row["setting"] or "").strip(): (row["value"] or "").strip() for row in reader}
    text = settings.get("keep", str(DEFAULT_KEEP))
    if not text.isdigit() or int(text) < 1:
        raise SnapshotHistoryError(f"config/{SETTINGS_FILE}: keep '{text}' is not a whole number of snapshots "
                                   f"of at least 1")
    return int(text)


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link where the file system allows one, else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def write_json_atomically(path: Path, value: dict) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(value, indent=2, default=str) + "\n")
    os.replace(temporary, path)


def new_snapshot_id(history: Path, now: datetime) -> str:
    """When it was published, to the second; a second publish within the same second gets a suffix."""
    base = now.strftime(ID_FORMAT)
    snapshot_id, suffix = base, 1
    while (history / snapshot_id).exists():
        suffix += 1
        snapshot_id = f"{base}-{suffix:02d}"  # two digits: ids sort by time as text
    return snapshot_id


def record_snapshot(published: Path, snapshot_file: Path, snapshot_name: str, parquet_dir: Path,
                    rows: dict[str, int], files: list[dict]) -> str:
    """Keeps the snapshot about to be published (its file still under a temporary name) and its Parquet
    files as a new entry; returns the entry's id."""
    history = history_dir(published)
    history.mkdir(parents=True, exist_ok=True)
    now = datetime.now()
    snapshot_id = new_snapshot_id(history, now)
    staging = history / f".{snapshot_id}.tmp"
    shutil.rmtree(staging, ignore_errors=True)  # left by a publish that was killed here
    (staging / ENTRY_PARQUET_DIR).mkdir(parents=True)
    link_or_copy(snapshot_file, staging / snapshot_name)
    for parquet in sorted(parquet_dir.glob("*.parquet")):
        link_or_copy(parquet, staging / ENTRY_PARQUET_DIR / parquet.name)
    entry = {"id": snapshot_id, "published_at": now.isoformat(timespec="seconds"), "rows": rows, "files": files}
    (staging / ENTRY_FILE).write_text(json.dumps(entry, indent=2) + "\n")
    os.rename(staging, history / snapshot_id)
    return snapshot_id


def mark_current(published: Path, snapshot_id: str, rollback_from: str | None = None) -> dict:
    """Records which entry is published now; `rollback_from`: the entry a rollback replaced."""
    current = {"id": snapshot_id, "since": datetime.now().isoformat(timespec="seconds"),
               "rollback": None if rollback_from is None else {"from": rollback_from}}
    write_json_atomically(history_dir(published) / CURRENT_FILE, current)
    return current


def current_snapshot(published: Path) -> dict | None:
    """{id, since, rollback: None | {from}} of the published snapshot; None before the first publish with
    history."""
    try:
        return json.loads((history_dir(published) / CURRENT_FILE).read_text())
    except (OSError, ValueError):
        return None


def entry_ids(published: Path) -> list[str]:
    """The kept snapshots' ids, oldest first."""
    history = history_dir(published)
    if not history.is_dir():
        return []
    return sorted(path.name for path in history.iterdir()
                  if path.is_dir() and not path.name.startswith(".") and (path / ENTRY_FILE).exists())


def entry_dir(published: Path, snapshot_id: str) -> Path:
    return history_dir(published) / snapshot_id


def read_entry(published: Path, snapshot_id: str) -> dict:
    """The entry's snapshot.json, with the checks and run of its run report when it has one."""
    folder = entry_dir(published, snapshot_id)
    entry = json.loads((folder / ENTRY_FILE).read_text())
    try:
        report = json.loads((folder / "run_report.json").read_text())
    except (OSError, ValueError):
        report = None
    entry["run"] = None if report is None else {
        "run_id": report.get("run_id"), "run_date": report.get("run_date"), "started_at": report.get("started_at"),
        "status": report.get("status"), "checks": report.get("checks") or {},
    }
    entry["has_dashboard"] = (folder / "dashboard.html").exists()
    return entry


def attach_to_snapshot(published: Path, snapshot_id: str, files: list[Path]) -> None:
    """Keeps copies of files written after the publish (the dashboard, the run report) with its entry."""
    folder = entry_dir(published, snapshot_id)
    if not (folder / ENTRY_FILE).exists():
        return  # removed meanwhile (keep = 1 and a later publish): nothing to attach to
    for source in files:
        if source.exists():
            temporary = folder / f".{source.name}.tmp"
            shutil.copy2(source, temporary)
            os.replace(temporary, folder / source.name)


def prune_history(published: Path, keep: int) -> list[str]:
    """Removes the oldest entries beyond `keep` and entries left half-written by a killed publish; returns the
    ids removed. Never the published one (a clock set back can make it sort first). A reader holding one of
    their files open keeps reading it."""
    history = history_dir(published)
    current = (current_snapshot(published) or {}).get("id")
    ids = entry_ids(published)
    removed = [snapshot_id for snapshot_id in ids[:max(len(ids) - keep, 0)] if snapshot_id != current]
    for snapshot_id in removed:
        shutil.rmtree(history / snapshot_id, ignore_errors=True)
    for leftover in history.glob(".*.tmp"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
    return removed


def find_snapshot(published: Path, when: str) -> str | None:
    """The kept snapshot named by `when`: its id as listed (20261202T021503) or its time as listed
    (2026-12-02T02:15:03 or 2026-12-02 02:15:03)."""
    ids = entry_ids(published)
    given = when.strip()
    as_id = given.replace(" ", "T").replace(":", "")
    as_id = as_id[:10].replace("-", "") + as_id[10:]  # the date's dashes only, not an id's -2 suffix
    return next((snapshot_id for snapshot_id in (given, as_id) if snapshot_id in ids), None)
