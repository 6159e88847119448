"""`membrana metrics`: the metrics of dbt's semantic layer (dbt_project/models/marts/metrics/_metrics.yml)
at any grain, answered by MetricFlow on the published snapshot.

MetricFlow writes the SQL; DuckDB runs it on `published/membrana.duckdb` opened read-only, never on the
nightly writer's warehouse, so a query neither waits for a run nor takes its lock. No dbt profile or
adapter is involved: the semantic manifest (from `dbt parse`) names each table as the warehouse's
`"warehouse"."marts".<table>`, and the snapshot is attached under that catalog name.
"""

import json
import logging
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.publish.snapshot import snapshot_path

TIME_GRAINS = ("day", "week", "month", "quarter", "year")
# The semantic model's entity: its dimensions are asked for as funnel__<dimension> in MetricFlow's terms.
FUNNEL_ENTITY = "funnel"
METRIC_TIME = "metric_time"


class MetricsQueryError(Exception):
    """A query the metrics layer cannot answer as asked; the message is one line for the user."""


class MetricsNotPublished(MetricsQueryError):
    """The snapshot lacks what the metrics read (nothing published, or published before the metrics layer)."""


@dataclass(frozen=True)
class MetricsQuery:
    metrics: tuple[str, ...]
    by: tuple[str, ...] = ()  # time grains and dimensions, short (week, channel) or MetricFlow's names
    since: date | None = None
    until: date | None = None


def semantic_manifest_path() -> Path:
    """The project's semantic manifest, parsed again first when a file of the dbt project changed."""
    from orchestration.dbt_manifest import SEMANTIC_MANIFEST_PATH, prepare_manifest_if_stale

    prepare_manifest_if_stale()
    return SEMANTIC_MANIFEST_PATH


def query_metrics(published: Path, query: MetricsQuery, manifest_path: Path | None = None) -> pd.DataFrame:
    """One row per value of the group-by items, one column per group-by item (short names) and metric."""
    snapshot = snapshot_path(published)
    if not snapshot.exists():
        raise MetricsNotPublished(f"nothing published yet at {snapshot}: run `membrana run` first")
    manifest_text = (manifest_path or semantic_manifest_path()).read_text()
    con = duckdb.connect()
    try:
        catalog = manifest_catalog(manifest_text)
        con.execute(f"attach '{snapshot}' as {catalog} (read_only)")
        require_semantic_tables(con, catalog, manifest_text)
        engine = metricflow_engine(manifest_text, con)
        request = metricflow_request(engine, query)
        sql = explained_sql(engine, request)
        frame = con.execute(sql).df()
    finally:
        con.close()
    return frame.rename(columns=dict(zip(request_group_by_columns(request), short_names(query.by))))


def manifest_catalog(manifest_text: str) -> str:
    """The catalog the semantic manifest's tables live in (the warehouse's: `warehouse`)."""
    catalogs = {model["node_relation"]["database"] for model in json.loads(manifest_text)["semantic_models"]}
    if len(catalogs) != 1:
        raise MetricsQueryError(f"the semantic models span catalogs {sorted(catalogs)}; expected one")
    return catalogs.pop()


def require_semantic_tables(con: duckdb.DuckDBPyConnection, catalog: str, manifest_text: str) -> None:
    """The tables the semantic models read must be in the snapshot: one published before the metrics layer
    existed has none until the next run publishes."""
    wanted = {(model["node_relation"]["schema_name"], model["node_relation"]["alias"])
              for model in json.loads(manifest_text)["semantic_models"]}
    present = set(con.execute("select schema_name, table_name from duckdb_tables() where database_name = ?",
                              [catalog]).fetchall())
    if missing := sorted(wanted - present):
        names = ", ".join(".".join(table) for table in missing)
        raise MetricsNotPublished(f"the published snapshot has no {names} (published before the metrics layer): "
                                "run `membrana run` once")


def metricflow_engine(manifest_text: str, con: duckdb.DuckDBPyConnection):
    # MetricFlow's telemetry has no sender (nothing leaves the machine): its one handler writes log records
    logging.getLogger("metricflow.telemetry").setLevel(logging.CRITICAL + 1)
    from metricflow.engine.metricflow_engine import MetricFlowEngine
    from metricflow_semantics.model.dbt_manifest_parser import parse_manifest_from_dbt_generated_manifest
    from metricflow_semantics.model.semantic_manifest_lookup import SemanticManifestLookup

    manifest = parse_manifest_from_dbt_generated_manifest(manifest_json_string=manifest_text)
    return MetricFlowEngine(semantic_manifest_lookup=SemanticManifestLookup(manifest),
                            sql_client=SnapshotSqlClient(con))


def metricflow_request(engine, query: MetricsQuery):
    from metricflow.engine.metricflow_engine import MetricFlowQueryRequest
    from metricflow_semantic_interfaces.type_enums.dimension_type import DimensionType

    known_metrics = sorted(metric.name for metric in engine.list_metrics(include_dimensions=False))
    unknown = [name for name in query.metrics if name not in known_metrics]
    if unknown:
        raise MetricsQueryError(f"unknown metric {', '.join(unknown)}; metrics: {', '.join(known_metrics)}")
    if not query.metrics:
        raise MetricsQueryError(f"name at least one metric; metrics: {', '.join(known_metrics)}")
    if query.since and query.until and query.since > query.until:
        raise MetricsQueryError(f"--since {query.since} is after --until {query.until}")
    dimensions = sorted(dimension.name for dimension in engine.list_dimensions(list(query.metrics))
                        if dimension.type is DimensionType.CATEGORICAL)
    group_by = [metricflow_name(item, dimensions) for item in query.by]
    grains = [item for item in group_by if item.startswith(f"{METRIC_TIME}__")]
    if len(grains) > 1:
        raise MetricsQueryError(f"one time grain at a time, not {', '.join(short_names(grains))}")
    return MetricFlowQueryRequest.create(
        metric_names=list(query.metrics), group_by_names=group_by,
        time_constraint_start=datetime.combine(query.since, datetime.min.time()) if query.since else None,
        time_constraint_end=datetime.combine(query.until, datetime.min.time()) if query.until else None,
        order_by_names=group_by,
    )


def metricflow_name(item: str, dimensions: list[str]) -> str:
    """`week` → metric_time__week, `channel` → funnel__channel; MetricFlow's own names pass as they are."""
    if item in TIME_GRAINS:
        return f"{METRIC_TIME}__{item}"
    if item in dimensions:
        return f"{FUNNEL_ENTITY}__{item}"
    if item.startswith(f"{METRIC_TIME}__") and item.removeprefix(f"{METRIC_TIME}__") in TIME_GRAINS:
        return item
    if item.startswith(f"{FUNNEL_ENTITY}__") and item.removeprefix(f"{FUNNEL_ENTITY}__") in dimensions:
        return item
    raise MetricsQueryError(f"unknown grain or dimension {item!r}; time grains: {', '.join(TIME_GRAINS)}; "
                            f"dimensions: {', '.join(dimensions)}")


def short_names(items) -> list[str]:
    return [item.split("__")[-1] for item in items]


def request_group_by_columns(request) -> list[str]:
    return list(request.group_by_names or [])


def explained_sql(engine, request) -> str:
    """The SQL MetricFlow writes for the request (a MetricFlow error about the request: one line)."""
    try:
        return engine.explain(request).sql_statement.sql
    except Exception as error:  # MetricFlow's query errors have no common base class
        first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise MetricsQueryError(f"MetricFlow cannot answer this query: {first_line}") from error


class SnapshotSqlClient:
    """MetricFlow's SqlClient over a DuckDB connection to the snapshot: DuckDB's SQL dialect, read-only use."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        from metricflow.sql.render.duckdb_renderer import DuckDbSqlPlanRenderer

        self._con = con
        self._renderer = DuckDbSqlPlanRenderer()

    @property
    def sql_engine_type(self):
        from metricflow.protocols.sql_client import SqlEngine

        return SqlEngine.DUCKDB

    @property
    def sql_plan_renderer(self):
        return self._renderer

    def query(self, stmt: str, sql_bind_parameter_set=None):
        from metricflow.data_table.mf_table import MetricFlowDataTable

        result = self._con.execute(stmt)
        return MetricFlowDataTable.create_from_rows(column_names=[column[0] for column in result.description],
                                                    rows=result.fetchall())

    def execute(self, stmt: str, sql_bind_parameter_set=None) -> None:
        self._con.execute(stmt)

    def dry_run(self, stmt: str, sql_bind_parameter_set=None) -> None:
        self._con.execute(f"explain {stmt}")

    def close(self) -> None:
        self._con.close()

    def render_bind_parameter_key(self, bind_parameter_key: str) -> str:
        return f"${bind_parameter_key}"
