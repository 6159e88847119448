"""The run history: logs/run_history.jsonl, one JSON line per nightly run and per rollback, oldest first,
kept for good (unlike logs/run_report.json, which the next run replaces).

A run: {"at", "event": "run", "run_id", "status" (published | blocked | failed), "snapshot" (the id of the
snapshot it published, else null), "reason"}, and "quiet_night": true for a night that found nothing changed
(nightly/quiet_night.py: its snapshot is the one already published). A rollback: {"at", "event": "rollback", "from", "to"} (ids
of the snapshot history, published/history/)."""

import json
from datetime import datetime
from pathlib import Path

RUN_HISTORY_FILE = "run_history.jsonl"


def append_run_history(logs: Path, record: dict) -> None:
    logs.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"at": datetime.now().isoformat(timespec="seconds"), **record}, default=str)
    with open(logs / RUN_HISTORY_FILE, "a", encoding="utf-8") as history:
        history.write(line + "\n")  # one write in append mode: a line is never interleaved with another


def read_run_history(logs: Path) -> list[dict]:
    """Every line that parses (a line cut short by a crash is skipped)."""
    try:
        lines = (logs / RUN_HISTORY_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records
