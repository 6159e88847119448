"""Transform: every dbt model as a Dagster asset and every dbt test as an asset check.

A nightly run is incremental: only the days touched by rows loaded since the last successful build
are rebuilt. A full refresh happens on the first build, after a config change, after a loaded file was
replaced, or when asked for (`membrana run --full-refresh`)."""

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from orchestration.lib import paths
from orchestration.lib.build_state import mark_build_started, newest_load, plan_build, record_build
from orchestration.lib.landing import config_fingerprint
from orchestration.lib.reconciliation import reconcile_files
from orchestration.project import membrana_dbt_project


class MembranaTranslator(DagsterDbtTranslator):
    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """Groups follow the dbt folders: staging, intermediate, marts, audit."""
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "marts"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]):
        """A model's own `meta.dagster.owners`, else the team's."""
        return super().get_owners(dbt_resource_props) or ["team:data"]


class BuildConfig(dg.Config):
    full_refresh: bool = False


@dbt_assets(
    manifest=membrana_dbt_project.manifest_path,
    project=membrana_dbt_project,
    dagster_dbt_translator=MembranaTranslator(),
)
def membrana_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, config: BuildConfig):
    fingerprint = config_fingerprint(paths.config_dir(), paths.DEFAULT_CONFIG_DIR)
    with duckdb.connect(str(paths.warehouse_path())) as con:
        plan = plan_build(con, fingerprint, force_full_refresh=config.full_refresh)
        built_through = newest_load(con)
        mark_build_started(con)
    context.log.info(f"dbt build: {'full refresh' if plan.full_refresh else 'incremental'} ({plan.reason})")
    args = ["build", "--full-refresh"] if plan.full_refresh else ["build"]
    # dbt unit tests test the models' SQL, not the night's data: they run in the test suite
    # (tests/e2e/test_dbt_unit_tests.py), not every night.
    args += ["--exclude-resource-type", "unit_test"]
    # Read by the incremental models (an environment variable keeps dbt's partial parsing valid).
    os.environ["MEMBRANA_LOADED_AFTER"] = plan.loaded_after or ""
    # One target folder per data folder: dbt's partial-parse state survives from one night to the next
    # (it is only valid for the profile, hence the warehouse path, it was made with).
    yield from dbt.cli(args, context=context, target_path=paths.dbt_target_dir()).stream()
    # Only a build whose models and tests all passed, and whose every file reconciles, moves the watermark.
    with duckdb.connect(str(paths.warehouse_path())) as con:
        reconcile_files(con)
        record_build(con, built_through, fingerprint)
