"""`membrana snapshots` and `membrana rollback`: list the kept snapshots, republish an earlier one.

A rollback republishes a kept snapshot (publish/history.py) the way a run publishes: the snapshot under a
temporary name renamed over published/membrana.duckdb, its Parquet files in a new parquet-<stamp>/
folder the link published/parquet is switched to, its dashboard renamed over published/dashboard.html.
A reader holding the replaced files open keeps reading them. It holds the data folder's run lock, so it
never overlaps a run, and writes a line in the run history (logs/run_history.jsonl). The warehouse is
not touched: the next run that publishes replaces the rolled-back snapshot with what the warehouse holds
then (remove or fix the export that brought the wrong numbers first).
"""

import os
from dataclasses import dataclass
from datetime import datetime

from orchestration.data_folder import DEFAULT_CONFIG_DIR, DataFolder
from orchestration.nightly.run_history import append_run_history
from orchestration.nightly.run_lock import run_lock
from orchestration.publish.dashboard import dashboard_language, write_dashboard
from orchestration.publish.history import (
    ENTRY_PARQUET_DIR,
    SnapshotHistoryError,
    current_snapshot,
    entry_dir,
    entry_ids,
    find_snapshot,
    link_or_copy,
    mark_current,
    read_entry,
    snapshots_to_keep,
)
from orchestration.publish.snapshot import SNAPSHOT_FILE, remove_old_parquet_dirs, switch_link


class NoSnapshotToRollBackTo(SnapshotHistoryError):
    """Nothing kept before the published snapshot (or nothing kept at all)."""


class UnknownSnapshot(SnapshotHistoryError):
    """--to names no kept snapshot."""


@dataclass(frozen=True)
class Rollback:
    replaced: str | None  # the id of the snapshot that was published, None if not known
    republished: str
    changed: bool  # False: the snapshot asked for was already the published one


def list_snapshots(folder: DataFolder) -> dict:
    """Every kept snapshot, newest first, marked `published` for the one served now."""
    current = current_snapshot(folder.published)
    ids = entry_ids(folder.published)
    snapshots, earlier_files = [], set()
    for snapshot_id in ids:  # oldest first, to say which files each one brought
        entry = read_entry(folder.published, snapshot_id)
        files = {item["file"] for item in entry["files"]}
        entry["new_files"] = sorted(files - earlier_files) if snapshots else []
        earlier_files = files
        entry["published"] = bool(current) and current["id"] == snapshot_id
        snapshots.append(entry)
    return {"keep": snapshots_to_keep(folder.config, DEFAULT_CONFIG_DIR), "current": current,
            "snapshots": snapshots[::-1]}


def format_snapshots(listing: dict) -> str:
    snapshots = listing["snapshots"]
    heading = (f"Snapshots kept: {len(snapshots)} of at most {listing['keep']} (config/snapshots.csv), "
               "newest first; * = published now")
    lines = [heading]
    current = listing["current"]
    for entry in snapshots:
        mark = "*" if entry["published"] else " "
        rolled_back = " (by a rollback)" if entry["published"] and current.get("rollback") else ""
        lines.append(f"{mark} {entry['id']}  published {entry['published_at'].replace('T', ' ')}{rolled_back}")
        run = entry["run"]
        if run:
            checks = run["checks"]
            lines.append(f"    run {run['started_at'][:19]} (run date {run['run_date']}): checks "
                         + ", ".join(f"{checks.get(key, 0)} {key}" for key in ("passed", "warned", "failed")))
        else:
            lines.append("    run: no run report kept (published outside `membrana run`)")
        per_entity: dict[str, int] = {}
        for item in entry["files"]:
            per_entity[item["entity"]] = per_entity.get(item["entity"], 0) + 1
        lines.append(f"    landing files: {len(entry['files'])} ("
                     + ", ".join(f"{entity} {count}" for entity, count in per_entity.items()) + ")")
        if entry["new_files"]:
            lines.append("    new since the snapshot before: " + ", ".join(entry["new_files"]))
        lines.append("    rows: " + ", ".join(f"{mart} {count:,}" for mart, count in entry["rows"].items()))
    return "\n".join(lines)


def rollback(folder: DataFolder, to: str | None = None) -> Rollback:
    """Republishes the kept snapshot `to` names (an id or a time as listed), by default the one before the
    published one. Raises RunInProgress when a run holds the data folder, SnapshotHistoryError when there
    is no such snapshot."""
    with run_lock(folder):
        published = folder.published
        ids = entry_ids(published)
        current = current_snapshot(published)
        current_id = current["id"] if current and current["id"] in ids else None
        if to is not None:
            target = find_snapshot(published, to)
            if target is None:
                kept = ", ".join(reversed(ids)) or "none"
                raise UnknownSnapshot(f"no kept snapshot {to!r} (kept: {kept}; see `membrana snapshots`)")
        else:
            before = [snapshot_id for snapshot_id in ids if current_id is None or snapshot_id < current_id]
            if current_id is None and before:
                before = before[:-1]  # the newest is taken to be the one published
            if not before:
                raise NoSnapshotToRollBackTo("no snapshot kept before the published one to roll back to "
                                             "(see `membrana snapshots`)")
            target = before[-1]
        if target == current_id:
            return Rollback(current_id, target, changed=False)
        republish(folder, target)
        mark_current(published, target, rollback_from=current_id)
        append_run_history(folder.logs, {"event": "rollback", "from": current_id, "to": target})
        return Rollback(current_id, target, changed=True)


def republish(folder: DataFolder, snapshot_id: str) -> None:
    """The kept snapshot's files made the published ones, each by a rename; everything is put in place
    under temporary names first, so the renames follow each other at once."""
    published, entry = folder.published, entry_dir(folder.published, snapshot_id)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S%f")
    snapshot_tmp = published / f".{SNAPSHOT_FILE}.{stamp}.tmp"
    link_or_copy(entry / SNAPSHOT_FILE, snapshot_tmp)
    parquet_dir = published / f"parquet-{stamp}"
    parquet_dir.mkdir()
    for parquet in sorted((entry / ENTRY_PARQUET_DIR).glob("*.parquet")):
        link_or_copy(parquet, parquet_dir / parquet.name)
    dashboard = published / "dashboard.html"
    dashboard_tmp = dashboard.with_name(f".dashboard.html.{stamp}.tmp")
    kept_dashboard = entry / "dashboard.html"
    if kept_dashboard.exists():
        link_or_copy(kept_dashboard, dashboard_tmp)
    os.replace(snapshot_tmp, published / SNAPSHOT_FILE)
    switch_link(published / "parquet", parquet_dir.name)
    remove_old_parquet_dirs(published, keep=parquet_dir.name)
    if kept_dashboard.exists():
        os.replace(dashboard_tmp, dashboard)
    else:  # a snapshot published without its dashboard: rendered from it now
        write_dashboard(folder.root, dashboard_language(folder.config, DEFAULT_CONFIG_DIR))
