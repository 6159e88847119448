"""A run launched from the Dagster UI, by the schedule or by a sensor has no `membrana run` around it to
write a run report: its outcome is read back from the data folder's Dagster instance instead, in the shape
of the report's fields that the notifications use (status, reason, run date, the snapshot left in place)."""

from datetime import UTC, datetime

import dagster as dg

from orchestration.data_folder import DataFolder
from orchestration.nightly.failure import failure_reason
from orchestration.publish.snapshot import snapshot_path
from orchestration.quality.settings import QualityConfigError, run_date


class StoredRun:
    """A finished run's events from the instance, with the parts of an in-process result that
    nightly/run.py's failure reason reads."""

    def __init__(self, instance: dg.DagsterInstance, run: dg.DagsterRun):
        self.run_id = run.run_id
        self.success = run.status == dg.DagsterRunStatus.SUCCESS
        self.all_events = [entry.dagster_event for entry in instance.all_logs(run.run_id) if entry.is_dagster_event]

    def get_asset_check_evaluations(self) -> list[dg.AssetCheckEvaluation]:
        return [event.event_specific_data for event in self.all_events
                if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION]


def outcome_of_run(instance: dg.DagsterInstance, run: dg.DagsterRun, folder: DataFolder) -> dict:
    """What the notifications need to know of a finished run, as its run report would say it."""
    stored = StoredRun(instance, run)
    if stored.success:
        status, reason = "published", ""
    else:
        reason = failure_reason(stored, folder)
        blocked = any(not check.passed and check.blocking and check.severity == dg.AssetCheckSeverity.ERROR
                      for check in stored.get_asset_check_evaluations())
        status = "blocked" if blocked else "failed"
    try:
        day = run_date(folder.config).isoformat()
    except QualityConfigError:
        day = None
    snapshot = snapshot_path(folder.published)
    return {
        "run_id": run.run_id, "status": status, "reason": reason, "run_date": day,
        "published": {"snapshot_written_at": datetime.fromtimestamp(snapshot.stat().st_mtime, UTC).isoformat()
                      if snapshot.exists() else None},
    }
