"""Notifications for the runs Dagster itself starts (the UI, the schedule, the landing sensor): when one
finishes, the data folder's recipients hear of a blocked publish, a failure or new membrane alerts, as
after `membrana run` (orchestration/notify/). They run in the daemon `make dev` starts; `membrana run`'s
own runs are tagged and left alone (it tells the recipients itself)."""

import dagster as dg

from orchestration.dagster_instance import LAUNCHED_BY_MEMBRANA_RUN, LAUNCHED_BY_TAG
from orchestration.defs.jobs import nightly_job
from orchestration.defs.resources import WarehouseResource


def notify_of_run(context: dg.RunStatusSensorContext, warehouse: WarehouseResource):
    from orchestration.notify.dagster_runs import outcome_of_run
    from orchestration.notify.night import notify_night

    run = context.dagster_run
    if run.tags.get(LAUNCHED_BY_TAG) == LAUNCHED_BY_MEMBRANA_RUN:
        return dg.SkipReason(f"run {run.run_id} was started by `membrana run`, which notified on its own")
    told = notify_night(warehouse.folder, outcome_of_run(context.instance, run, warehouse.folder))
    for warning in told["warnings"]:
        context.log.warning(f"notifications: {warning}")  # shown on the sensor's tick in the UI
    return dg.SkipReason(f"run {run.run_id}: {len(told['sent'])} notifications sent, "
                         f"{len(told['warnings'])} warnings")


@dg.run_status_sensor(run_status=dg.DagsterRunStatus.SUCCESS, monitored_jobs=[nightly_job],
                      default_status=dg.DefaultSensorStatus.RUNNING)
def notify_after_published_run(context: dg.RunStatusSensorContext, warehouse: WarehouseResource):
    """Tells the recipients of config/notifications.csv the new membrane alerts of a run that published."""
    return notify_of_run(context, warehouse)


@dg.run_failure_sensor(monitored_jobs=[nightly_job], default_status=dg.DefaultSensorStatus.RUNNING)
def notify_after_failed_run(context: dg.RunFailureSensorContext, warehouse: WarehouseResource):
    """Tells the recipients of config/notifications.csv that a run was blocked by a check or failed."""
    return notify_of_run(context, warehouse)
