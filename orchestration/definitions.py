"""The Dagster code location: loads the definitions of defs/ and nothing else."""

import dagster as dg

from orchestration.defs.ingest.assets import config_assets, raw_assets
from orchestration.defs.jobs import nightly_job
from orchestration.defs.publish.assets import published_marts
from orchestration.defs.publish.dashboard import dashboard
from orchestration.defs.quality.checks import quality_checks
from orchestration.defs.resources import dbt_resource
from orchestration.defs.schedules import nightly_schedule
from orchestration.defs.sensors import landing_files_sensor
from orchestration.defs.transform.dbt_assets import membrana_dbt_models

defs = dg.Definitions(
    assets=[*raw_assets, *config_assets, membrana_dbt_models, published_marts, dashboard],
    asset_checks=quality_checks,
    jobs=[nightly_job],
    schedules=[nightly_schedule],
    sensors=[landing_files_sensor],
    resources={"dbt": dbt_resource},
    # DuckDB has one writer: steps run one after another in the run's own process.
    executor=dg.in_process_executor,
)
