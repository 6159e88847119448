"""Transform: every dbt model as a Dagster asset and every dbt test as an asset check.

A nightly run is incremental: staging types only the raw rows it has not typed yet and recomputes only
the records with new versions, and only the days these touch are rebuilt; the models the night's new rows
do not reach are not run at all (build/rebuild_selection.py), their tests reported with their last results.
A full refresh happens on the first build, after a change to the config or to the dbt project, after a
loaded file was replaced, or when asked for (`membrana run --full-refresh`). When nothing was loaded since
the last successful build and neither the config nor the dbt project changed, dbt does not run at all: no
model reads the run date, so every model and test result would be the same (the checks that depend on the
run date are Dagster asset checks and run every night)."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from graphlib import TopologicalSorter
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, dbt_assets
from dagster_dbt.asset_utils import (
    get_asset_check_key_for_test,
    get_manifest_and_translator_from_dbt_assets,
    get_updated_cli_invocation_params_for_context,
)

from orchestration.build.build_state import (
    BuildPlan,
    mark_build_started,
    newest_load,
    plan_build,
    plan_on_engine_tables,
    read_engine_state,
    read_state,
    record_build,
    record_engine_state,
)
from orchestration.build.dbt_runner import DbtInvocation, failure_summary, invoke_dbt
from orchestration.build.engine import builds_on_spark, built_tables, dbt_target
from orchestration.build.raw_parquet import export_raw_parquet
from orchestration.build.rebuild_selection import dbt_selection, models_to_rebuild
from orchestration.build.reconciliation import reconcile_files
from orchestration.data_folder import DEFAULT_CONFIG_DIR, DataFolder
from orchestration.dbt_manifest import dbt_project_fingerprint
from orchestration.defs.resources import WarehouseResource
from orchestration.ingest.landing import config_fingerprint
from orchestration.project import membrana_dbt_project
from orchestration.quality.replay import (
    BUILD_IDENTITY,
    preload_expectations,
    store_dbt_test_results,
    stored_dbt_test_results,
)


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


def build_dbt_models() -> dg.AssetsDefinition:
    """Every dbt model of the parsed manifest as an asset (call prepare_manifest_if_stale() first)."""

    @dbt_assets(
        manifest=membrana_dbt_project.manifest_path,
        project=membrana_dbt_project,
        dagster_dbt_translator=MembranaTranslator(),
    )
    def membrana_dbt_models(context: dg.AssetExecutionContext, warehouse: WarehouseResource, config: BuildConfig):
        # Compared with the whole multi-asset: in a subset run, context.assets_def is the subset itself.
        every_model = set(membrana_dbt_models.keys)
        yield from build_models(context, warehouse.folder, config, every_model)

    return membrana_dbt_models


def build_models(context: dg.AssetExecutionContext, folder: DataFolder, config: BuildConfig,
                 every_model: set[dg.AssetKey]):
    fingerprint = config_fingerprint(folder.config, DEFAULT_CONFIG_DIR)
    project_fingerprint = dbt_project_fingerprint()
    engine = dbt_target()
    with duckdb.connect(str(folder.warehouse)) as con:
        built_through = newest_load(con)
        plan = plan_build(con, fingerprint, project_fingerprint, built_through, engine=engine,
                          force_full_refresh=config.full_refresh)
        last_tests = stored_dbt_test_results(folder.check_results, con)  # replayed for the tests not run
        recorded = read_state(con)
        mark_build_started(con)
    if builds_on_spark() and not plan.full_refresh:
        with built_tables(folder) as tables:  # the Spark tables must be the ones the recorded build left
            plan = plan_on_engine_tables(plan, recorded, read_engine_state(tables))
    planned = f"dbt build: {describe_plan(plan)}"
    print(planned, flush=True)  # the run log (logs/last_run.log), before dbt's own lines
    context.log.info(planned)  # the Dagster UI
    if plan.nothing_new:
        yield from results_of_the_last_build(context, plan, last_tests)
    else:
        if builds_on_spark():
            # Spark reads the raw layer the DuckDB loader wrote as Parquet (the sources' views, on-run-start).
            rows = export_raw_parquet(folder.warehouse, folder.raw_parquet)
            context.log.info(f"raw layer for Spark: {sum(rows.values())} rows of {len(rows)} tables "
                             f"written to {folder.raw_parquet}")
        preload_expectations()  # the expectation suites will validate the rebuilt marts
        checks = []
        whole = context.selected_asset_keys == every_model
        for event in run_dbt_build(context, folder, plan, last_tests if whole else None):
            if isinstance(event, dg.AssetCheckResult):
                checks.append(check_as_json(event))
            yield event
        if builds_on_spark() and whole and not plan.full_refresh:  # the rebuild plan ran with the watermark
            context.log.info(replaced_partitions(folder, plan))
        if whole:
            store_dbt_test_results(folder.check_results,
                                   dict(zip(BUILD_IDENTITY, (built_through, fingerprint, project_fingerprint, engine))),
                                   checks)
    if context.selected_asset_keys != every_model:
        # Some models only (picked in the Dagster UI): the ones it skipped have not seen the rows loaded
        # since the watermark, so it stays, and nothing is published until a whole build passes.
        context.log.info("dbt build of some models only: the watermark stays for the next whole build")
        return
    # Only a build whose models and tests all passed, and whose every file reconciles, moves the watermark.
    with built_tables(folder) as tables, duckdb.connect(str(folder.warehouse)) as con:
        reconcile_files(con, tables)
        record_build(con, built_through, fingerprint, project_fingerprint, engine=engine)
        if builds_on_spark():
            record_engine_state(tables, read_state(con))


def describe_plan(plan: BuildPlan) -> str:
    if plan.nothing_new:
        return f"skipped ({plan.reason})"
    return f"{'full refresh' if plan.full_refresh else 'incremental'} ({plan.reason})"


def replaced_partitions(folder: DataFolder, plan: BuildPlan) -> str:
    """What an incremental night on Spark rewrote of funnel_daily, its one table partitioned by day (the others
    are rebuilt whole there: plain Parquet cannot merge by key), printed to the run log too."""
    with built_tables(folder) as tables:
        days = "select count(distinct date_day) from intermediate.int_funnel_days_to_rebuild"
        touched = tables.execute(days).fetchone()[0]  # fetched before the block closes a Thrift connection
        partitions = tables.execute("show partitions marts.funnel_daily").fetchall()
    line = (f"funnel_daily on Spark: {touched} of {len(partitions)} day partitions rewritten, the "
            f"days touched by the rows loaded after {plan.loaded_after}; the others kept as they were")
    print(line, flush=True)
    return line


def run_dbt_build(context: dg.AssetExecutionContext, folder: DataFolder, plan: BuildPlan,
                  last_tests: list[dict] | None) -> Iterator:
    """dbt build of the selected models and tests, in this process; each model's result as its
    materialization and each test's as its asset check, once dbt is done. `last_tests`: the last build's
    test results, on a build of every model (a partial build replays those of the tests it does not run)."""
    args = ["build", "--full-refresh"] if plan.full_refresh else ["build"]
    # dbt unit tests test the models' SQL, not the night's data: they run in the test suite
    # (tests/e2e/test_dbt_unit_tests.py), not every night.
    args += ["--exclude-resource-type", "unit_test"]
    manifest, translator, project = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    selection = get_updated_cli_invocation_params_for_context(context, manifest, translator)
    if selection.dbt_project is not None and selection.dbt_project.project_dir != project.project_dir:
        raise dg.Failure("a selection too large for dbt's command line: build every model, or fewer")
    indirect = {"DBT_INDIRECT_SELECTION": selection.indirect_selection} if selection.indirect_selection else {}
    partial = partial_build(plan, manifest, last_tests)
    if partial is None:
        select = selection.selection_args
    else:
        select = dbt_selection(partial.models, plan.new_rows_in)
        context.log.info(f"dbt build: {len(partial.models)} of {len(context.selected_asset_keys)} models, those "
                         f"downstream of the sources with new rows ({', '.join(sorted(plan.new_rows_in))}) and "
                         "the rebuild plan; the others read no new rows and keep their tables and test results")
    invocation = invoke_dbt([*args, *select], folder, plan.loaded_after, indirect)
    yield from node_events(context, invocation, manifest, translator, project, partial)
    if not invocation.success:
        raise DbtBuildFailed(failure_summary(invocation))


@dataclass(frozen=True)
class PartialBuild:
    models: set[str]  # the names of the models dbt runs
    last_tests: list[dict]  # the last build's test results: those of the tests that do not run stand


def partial_build(plan: BuildPlan, manifest: dict, last_tests: list[dict] | None) -> PartialBuild | None:
    """An incremental night of the whole project runs only the models its new rows reach, and the rebuild
    plan (build/rebuild_selection.py), on DuckDB and on Spark alike. None when every model runs: a full
    refresh, a build of some models only, or no stored test results of the last build to stand for the tests
    that do not run."""
    if plan.full_refresh or not last_tests:
        return None
    return PartialBuild(models_to_rebuild(manifest, plan.new_rows_in), last_tests)


class DbtBuildFailed(Exception):
    """A model or test of the build failed (the message lists them with dbt's message)."""


def node_events(context: dg.AssetExecutionContext, invocation: DbtInvocation, manifest, translator,
                project, partial: PartialBuild | None = None) -> Iterator:
    models, checks = {}, []
    selected_models, selected_checks = context.selected_asset_keys, context.selected_asset_check_keys
    for result in invocation.results:
        node = manifest["nodes"].get(result.unique_id)
        if node is None:
            continue
        metadata = {"status": result.status, "execution_seconds": result.seconds}
        if node["resource_type"] in ("model", "seed", "snapshot") and result.status in ("success", "no-op"):
            key = translator.get_asset_key(node)
            if result.rows_affected is not None:
                metadata["rows_affected"] = result.rows_affected
            if key in selected_models:
                models[key] = dg.MaterializeResult(asset_key=key, metadata={**metadata, "rebuilt": True})
        elif node["resource_type"] == "test":
            key = get_asset_check_key_for_test(manifest, translator, result.unique_id, project)
            if key is None or key not in selected_checks:
                # a singular test over several marts: its result is in dbt's run_results.json and the log
                context.log.info(f"dbt test {node['name']}: {result.status}")
                continue
            if result.failures is not None:
                metadata["dagster_dbt/failed_row_count"] = result.failures
            checks.append(dg.AssetCheckResult(
                asset_key=key.asset_key, check_name=key.name, passed=result.status == "pass",
                severity=dg.AssetCheckSeverity.WARN if result.status == "warn" else dg.AssetCheckSeverity.ERROR,
                metadata=metadata,
            ))
    if partial is None:
        yield from models.values()  # dbt finished each model after its parents: the order Dagster wants
        yield from checks
        return
    why = "no new rows in what it reads: the last build's table"
    not_run = {translator.get_asset_key(node) for node in manifest["nodes"].values()
               if node["resource_type"] == "model" and node["name"] not in partial.models}
    for key in in_dependency_order(context):
        if key in models:
            yield models[key]
        elif key in not_run:
            yield dg.MaterializeResult(asset_key=key, metadata={"rebuilt": False, "why": why})
    yield from checks
    judged = {(check.asset_key, check.check_name) for check in checks}
    yield from replayed_checks(context, [check for check in partial.last_tests
                                         if (dg.AssetKey(check["asset_key"]), check["check_name"]) not in judged],
                               "no new rows in what it tests")


def in_dependency_order(context: dg.AssetExecutionContext) -> list[dg.AssetKey]:
    """The selected models, each after its parents: the order Dagster wants a multi-asset's outputs in."""
    selected_keys = context.selected_asset_keys
    deps = context.assets_def.asset_deps
    return list(TopologicalSorter({key: deps.get(key, set()) & selected_keys for key in selected_keys}).static_order())


def check_as_json(result: dg.AssetCheckResult) -> dict:
    failed_rows = result.metadata.get("dagster_dbt/failed_row_count")
    return {
        "asset_key": list(result.asset_key.path), "check_name": result.check_name, "passed": result.passed,
        "severity": result.severity.value, "failed_row_count": getattr(failed_rows, "value", failed_rows),
    }


def results_of_the_last_build(context: dg.AssetExecutionContext, plan: BuildPlan, stored: list[dict]) -> Iterator:
    """Each model as materialized, unchanged, and each dbt test with the result it had in the last build
    (the same tables give the same result); a test without a stored result is reported as not run."""
    for key in in_dependency_order(context):
        yield dg.MaterializeResult(asset_key=key, metadata={"rebuilt": False, "why": plan.reason})
    yield from replayed_checks(context, stored, plan.reason)


def replayed_checks(context: dg.AssetExecutionContext, stored: list[dict], why: str) -> Iterator:
    """The stored results of dbt tests not run again, as asset checks."""
    selected = context.selected_asset_check_keys
    for check in stored:
        key = dg.AssetCheckKey(dg.AssetKey(check["asset_key"]), check["check_name"])
        if key not in selected:
            continue
        failed_rows = check["failed_row_count"]
        yield dg.AssetCheckResult(
            asset_key=key.asset_key, check_name=key.name, passed=check["passed"],
            severity=dg.AssetCheckSeverity(check["severity"]),
            description=(f"{failed_rows} failing rows" if failed_rows else "passed")
            + f" in the last build, not re-run ({why})",
            metadata={"rebuilt": False, **({"dagster_dbt/failed_row_count": failed_rows}
                                            if failed_rows is not None else {})},
        )
