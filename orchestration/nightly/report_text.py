"""The run report as files: logs/run_report.json and the human summary in logs/run_report.md, which
`membrana run` prints. Kept apart from run_report.py, which reads a Dagster run, so that a quiet night
(nightly/quiet_night.py) writes its report without importing Dagster."""

import json
import os
from collections.abc import Iterable
from pathlib import Path

CHECK_STATUSES = ("passed", "warned", "failed", "not_run")


def check_counts(statuses: Iterable[str]) -> dict[str, int]:
    """How many checks ended in each status: the report's `checks` (a night's and a quiet night's alike)."""
    statuses = list(statuses)
    return {name: statuses.count(name) for name in CHECK_STATUSES}


def human_summary(report: dict) -> str:
    checks, totals, published = report["checks"], report["totals"], report["published"]
    lines = [
        f"Run {report['status']} (run date {report['run_date']}, {report['duration_seconds']:.0f} s).",
        (f"Files: {totals['files_loaded_this_run']} loaded now ({totals['rows_loaded_this_run']:,} rows), "
        f"{totals['files']} in all; {totals['rows_quarantined']:,} rows quarantined."),
        f"Checks: {checks['passed']} passed, {checks['warned']} warned, {checks['failed']} failed"
        + (f", {checks['not_run']} not run." if checks["not_run"] else "."),
    ]
    dbt_build = report.get("dbt_build") or {"rebuilt": True}
    if not dbt_build["rebuilt"]:
        lines.append(f"dbt did not run ({dbt_build['note']}): its tests' results are the last build's.")
    for record in report["check_results"]:
        if record["status"] in ("warned", "failed") and record["kind"] != "drift":
            lines.append(f"  {record['status'].upper()} {record['asset']} {record['check']}: {record['summary']}")
    if report["drift_alerts"]:
        lines.append(f"Drift alerts ({len(report['drift_alerts'])}, marts.alerts): find out why these membranes moved:")
        lines += [f"  {line}" for line in report["drift_alerts"]]
    if report.get("quiet_night"):
        lines.append(f"Nothing new: the snapshot of {published['snapshot_written_at']} stays published "
                     f"({published['snapshot']}).")
    elif published["published"]:
        rows = ", ".join(f"{mart} {count:,}" for mart, count in published["rows"].items())
        lines.append(f"Published: {rows} rows → {published['snapshot']}")
        if published.get("removed_pre_v2_snapshot"):
            lines.append(f"Contract v2: {published['removed_pre_v2_snapshot']}.")
    elif published["snapshot"]:
        lines.append(f"Not published: the previous snapshot of {published['snapshot_written_at']} stays "
                     f"({published['snapshot']}).")
    else:
        lines.append("Not published: there is no published snapshot yet.")
    notifications = report.get("notifications") or {"sent": [], "warnings": []}
    for sent in notifications["sent"]:
        lines.append(f"Notified {sent['to']} ({sent['channel']}): {sent['subject']}")
    lines += [f"WARNING notifications: {warning}" for warning in notifications["warnings"]]
    return "\n".join(lines)


def write_report(report: dict, log_dir: Path) -> str:
    """Writes run_report.json and run_report.md; returns the human summary."""
    summary = human_summary(report)
    write_whole(log_dir / "run_report.json", json.dumps(report, indent=2, default=str) + "\n")
    write_whole(log_dir / "run_report.md", f"# membrana run {report['started_at']}\n\n{summary}\n")
    return summary


def write_whole(path: Path, text: str) -> None:
    """Written beside and renamed over: on a full disk the report before stays whole, never half of this one."""
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        temporary.write_text(text)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, path)
