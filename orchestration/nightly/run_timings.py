"""How long each step of the last nightly run took, written next to its log for the benchmark and
for whoever wonders where the night went: `logs/last_run_timings.json` in the data folder."""

import json
from pathlib import Path

import dagster as dg


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Wall time of every step of a run, by step key, in the order the steps started."""
    stats = sorted(instance.get_run_step_stats(run_id), key=lambda s: s.start_time or 0)
    return {s.step_key: round(s.end_time - s.start_time, 3) for s in stats if s.start_time and s.end_time}


def write_run_timings(path: Path, *, total_seconds: float, steps: dict[str, float], success: bool) -> None:
    path.write_text(json.dumps({"success": success, "total_seconds": round(total_seconds, 3), "steps": steps},
                               indent=2))
