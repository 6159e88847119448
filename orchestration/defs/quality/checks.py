"""Quality gates as Dagster asset checks on the public marts, so the UI shows every result and its
metadata. A blocking check that fails with ERROR severity stops `published_marts` (downstream of the
marts): the previous snapshot stays published. WARN results are reported and the marts are published."""

import dagster as dg

from orchestration.defs.resources import WarehouseResource
from orchestration.publish.snapshot import PUBLIC_MARTS
from orchestration.quality.gates import (
    GateOutcome,
    lead_integrity,
    marts_reconcile,
    membrane_drift,
    source_freshness,
)
from orchestration.quality.replay import store_result, stored_result
from orchestration.quality.settings import freshness_limits, max_orphan_shares, run_date


def mart(name: str) -> dg.AssetKey:
    return dg.AssetKey(["marts", name])


def check_result(outcome: GateOutcome) -> dg.AssetCheckResult:
    severity = dg.AssetCheckSeverity.ERROR if outcome.severity == "error" else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        passed=outcome.passed, severity=severity, description=outcome.summary,
        metadata={"summary": outcome.summary, "details": dg.MetadataValue.json(outcome.metadata)},
    )


def expectations_check(mart_name: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=mart(mart_name), name=f"{mart_name}_meets_its_expectations", blocking=True,
        description=f"Great Expectations suite `{mart_name}` (orchestration/quality/suites.py): a failed "
        "critical expectation blocks the publish, a failed warning is reported. On a night with nothing new "
        "(dbt did not rebuild the mart) the last result is replayed.",
    )
    def meets_its_expectations(context: dg.AssetCheckExecutionContext,
                               warehouse: WarehouseResource) -> dg.AssetCheckResult:
        not_rebuilt_because = not_rebuilt_in_this_run(context, mart(mart_name))
        results_dir = warehouse.folder.check_results
        # The build state stays in the DuckDB warehouse; the mart is where dbt built it (DuckDB under membrana's
        # memory limit, where the sort that splits a large mart into chunks spills; or Spark).
        with warehouse.connect() as con:
            last = stored_result(results_dir, con, mart_name) if not_rebuilt_because else None
            if last:
                return check_result(GateOutcome(
                    last.passed, last.severity, f"{last.summary} (last validation, not re-run: {not_rebuilt_because})",
                    {**last.metadata, "rebuilt": False},
                ))
        with warehouse.built_tables() as tables:
            outcome = validate(tables, mart_name)
        with warehouse.connect() as con:
            store_result(results_dir, con, mart_name, outcome)
        return check_result(outcome)

    return meets_its_expectations


def not_rebuilt_in_this_run(context: dg.AssetCheckExecutionContext, key: dg.AssetKey) -> str | None:
    """Why dbt left the mart as it was, when this run decided so (a night with nothing new)."""
    event = context.instance.get_latest_materialization_event(key)
    if event is None or event.run_id != context.run.run_id:
        return None
    metadata = event.asset_materialization.metadata
    if "rebuilt" not in metadata or metadata["rebuilt"].value:
        return None
    return str(metadata["why"].value)


def validate(tables, mart_name: str) -> GateOutcome:
    # Great Expectations takes seconds to import: only here, when a suite runs (a run that builds imports
    # it in the background while dbt builds, see defs/transform/dbt_assets.py).
    from orchestration.quality.expectations import validate_table
    from orchestration.quality.suites import suite_for

    result = validate_table(tables, f"marts.{mart_name}", suite_for(mart_name))
    failed = [f"{failure.expectation} [{failure.severity}]"
              + (f": {failure.unexpected} rows" if failure.unexpected else "") for failure in result.failed]
    summary = (f"{len(result.failed)} of {result.evaluated} expectations failed: " + "; ".join(failed)
               if failed else f"all {result.evaluated} expectations met")
    return GateOutcome(
        not failed, "error" if result.blocking_failures else "warn", summary,
        {"suite": result.suite, "evaluated": result.evaluated, "failed": failed, "rows": result.rows,
         "chunks": result.chunks},
    )


@dg.asset_check(
    asset=mart("funnel_daily"), blocking=True,
    description="Each source's newest record against the run date (MEMBRANA_RUN_DATE, config/run_date.csv or "
    "today). Older than block_after of config/freshness.csv blocks the publish; without that file, warnings only.",
)
def sources_are_fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    config = warehouse.folder.config
    limits, configured = freshness_limits(config)
    with warehouse.built_tables() as con:
        outcome = source_freshness(con, limits, run_date(config))
    outcome.metadata["limits_from"] = "config/freshness.csv" if configured else "defaults (warnings only)"
    return check_result(outcome)


@dg.asset_check(
    asset=mart("funnel_daily"), blocking=True,
    description="Meetings and deals whose lead does not exist: above the month's share of config/integrity.csv "
    "(default 5 %) they block the publish; below it they are counted and reported.",
)
def meetings_and_deals_point_to_existing_leads(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    shares = max_orphan_shares(warehouse.folder.config)
    with warehouse.built_tables() as con:
        return check_result(lead_integrity(con, shares))


@dg.asset_check(
    asset=mart("kpi_monthly"), blocking=True,
    additional_deps=[mart("funnel_daily"), mart("capacity_plan")],
    description="Totals of contacts, leads, won deals, revenue and ad spend in funnel_daily, kpi_monthly and "
    "capacity_plan equal the totals recomputed from staging.",
)
def marts_reconcile_with_staging(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.built_tables() as con:
        return check_result(marts_reconcile(con))


@dg.asset_check(
    asset=mart("alerts"),
    description="Membrane drift: a channel's membrane in its last week or month outside the control limits of "
    "its own history (the alerts mart). A warning: the marts are published, the drift is reported.",
)
def membranes_within_control_limits(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    with warehouse.built_tables() as con:
        return check_result(membrane_drift(con))


quality_checks = [
    *(expectations_check(name) for name in PUBLIC_MARTS),
    sources_are_fresh,
    meetings_and_deals_point_to_existing_leads,
    marts_reconcile_with_staging,
    membranes_within_control_limits,
]
