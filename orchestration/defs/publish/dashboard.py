"""The dashboard: published/dashboard.html, re-rendered from the snapshot after every successful publish."""

import dagster as dg

from orchestration.data_folder import DEFAULT_CONFIG_DIR
from orchestration.defs.resources import WarehouseResource
from orchestration.publish.dashboard import dashboard_language, write_dashboard
from orchestration.publish.history import attach_to_snapshot, current_snapshot
from orchestration.publish.summary import kpi_markdown


@dg.asset(
    key="dashboard",
    group_name="publish",
    deps=["published_marts"],
    description="The manager's instrument panel: published/dashboard.html, one self-contained page (no script, "
    "nothing fetched; opens offline or as an e-mail attachment) with the funnel per channel, the KPI table with "
    "month-over-month change, membrane trends and drift alerts, capacity load and plan, unit economics. "
    "Labels in English or Russian: MEMBRANA_LANGUAGE or `language` in config/dashboard.csv.",
    owners=["team:data"],
    kinds={"html"},
)
def dashboard(warehouse: WarehouseResource) -> dg.MaterializeResult:
    folder = warehouse.folder
    language = dashboard_language(folder.config, DEFAULT_CONFIG_DIR)
    page = write_dashboard(folder.root, language)
    current = current_snapshot(folder.published)
    if current:  # kept with its snapshot, for a rollback to bring back
        attach_to_snapshot(folder.published, current["id"], [page])
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(page)),
        "language": language,
        "size_kb": round(page.stat().st_size / 1024, 1),
        "kpi_last_complete_month": dg.MetadataValue.md(kpi_markdown(folder.published)),
    })
