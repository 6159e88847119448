import dagster as dg

from orchestration.defs.jobs import nightly_job
from orchestration.defs.resources import WarehouseResource
from orchestration.ingest.landing_watch import landing_fingerprint


@dg.sensor(job=nightly_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED)
def landing_files_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    """Starts the nightly job when files in landing/ appear or change (the cursor is their fingerprint)."""
    fingerprint = landing_fingerprint(warehouse.folder.landing)
    if fingerprint is None or fingerprint == context.cursor:
        return dg.SkipReason("no new or changed landing files")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)
