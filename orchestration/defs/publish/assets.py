"""Publish: after the build and every check passed, copy the marts atomically to
published/membrana.duckdb and published/parquet/ for analysts and BI, and keep them in the snapshot history
(published/history/, the last `keep` of config/snapshots.csv). The first publish after the upgrade
to contract v2 removes the snapshot's pre-v2 file, published/marts.duckdb, and says so. Marts built on Spark
are written by Spark as Parquet into the data folder's spark/publish/ first, and published from there."""

import json

import dagster as dg

from orchestration.build.build_state import last_build_passed
from orchestration.build.engine import builds_on_spark
from orchestration.data_folder import DEFAULT_CONFIG_DIR
from orchestration.defs.resources import WarehouseResource
from orchestration.project import membrana_dbt_project
from orchestration.publish.history import current_snapshot, snapshots_to_keep
from orchestration.publish.snapshot import (
    AUDIT_TABLES,
    PUBLIC_MARTS,
    SNAPSHOT_FILE,
    ExportedMarts,
    contract_columns,
    publish_marts,
    remove_pre_v2_snapshot,
)
from orchestration.publish.summary import kpi_markdown


@dg.asset(
    key="published_marts",
    group_name="publish",
    deps=[dg.AssetKey(["marts", mart]) for mart in PUBLIC_MARTS] + [dg.AssetKey(["audit", "quarantine"])],
    description="The last audited snapshot of the public marts: published/membrana.duckdb (schema marts) and "
    "published/parquet/<mart>.parquet. Replaced in one rename, so readers never see a half-built state.",
    owners=["team:data"],
    kinds={"duckdb", "parquet"},
)
def published_marts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    folder = warehouse.folder
    with warehouse.connect() as con:
        if not last_build_passed(con):
            raise dg.Failure("the last dbt build or one of its tests failed: the previous snapshot stays published")
    keep = snapshots_to_keep(folder.config, DEFAULT_CONFIG_DIR)  # a bad setting fails before anything is replaced
    exported = export_spark_marts(warehouse) if builds_on_spark() else None
    rows = publish_marts(folder.warehouse, folder.published, limit=warehouse.memory_limit, keep=keep,
                         exported=exported)
    removed = remove_pre_v2_snapshot(folder.published)  # only now: until this publish it was the last good one
    if removed:
        context.log.info(removed)
    return dg.MaterializeResult(
        metadata={**{f"rows_{mart}": count for mart, count in rows.items()},
                  "snapshot": dg.MetadataValue.path(str(folder.published / SNAPSHOT_FILE)),
                  "snapshot_id": current_snapshot(folder.published)["id"],  # in published/history/
                  **({"removed_pre_v2_snapshot": removed} if removed else {}),
                  "kpi_last_complete_month": dg.MetadataValue.md(kpi_markdown(folder.published))}
    )


def export_spark_marts(warehouse: WarehouseResource) -> ExportedMarts:
    """The public marts and audit tables of Spark as Parquet under the data folder's spark/publish/."""
    root = warehouse.folder.root / "spark" / "publish"
    with warehouse.built_tables() as tables:
        for schema, table in [*(("marts", mart) for mart in PUBLIC_MARTS), *(("audit", t) for t in AUDIT_TABLES)]:
            tables.write_parquet(f"{schema}.{table}", root / schema / table)
    return ExportedMarts(root, contract_columns(json.loads(membrana_dbt_project.manifest_path.read_text())))
