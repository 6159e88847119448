"""The Dagster code location: the definitions of defs/, on the data folder given (MEMBRANA_DATA_DIR or the demo
under `dagster dev`; `membrana run` passes its own in the run's config)."""

import dagster as dg

from orchestration.data_folder import DataFolder, data_folder_from_environment
from orchestration.dbt_manifest import prepare_manifest_if_stale
from orchestration.defs.ingest.assets import config_assets, raw_assets
from orchestration.defs.jobs import nightly_job
from orchestration.defs.notifications import notify_after_failed_run, notify_after_published_run
from orchestration.defs.publish.assets import published_marts
from orchestration.defs.publish.dashboard import dashboard
from orchestration.defs.quality.checks import quality_checks
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.schedules import nightly_schedule
from orchestration.defs.sensors import landing_files_sensor
from orchestration.defs.transform.dbt_assets import build_dbt_models


def membrana_definitions(folder: DataFolder) -> dg.Definitions:
    prepare_manifest_if_stale()
    return dg.Definitions(
        assets=[*raw_assets, *config_assets, build_dbt_models(), published_marts, dashboard],
        asset_checks=quality_checks,
        jobs=[nightly_job],
        schedules=[nightly_schedule],
        sensors=[landing_files_sensor, notify_after_published_run, notify_after_failed_run],
        resources={
            "warehouse": WarehouseResource(data_dir=str(folder.root),
                                           config_dir=str(folder.config_dir) if folder.config_dir else None),
        },
        # DuckDB has one writer: steps run one after another in the run's own process.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    return membrana_definitions(data_folder_from_environment())
