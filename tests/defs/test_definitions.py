"""The Dagster definitions load and form one lineage: landing → raw → dbt → publish."""

import dagster as dg

from orchestration.definitions import defs
from orchestration.defs.resources import WarehouseResource
from orchestration.defs.schedules import nightly_schedule
from orchestration.defs.sensors import landing_files_sensor
from orchestration.ingest.entities import CONFIG_FILES, ENTITIES
from orchestration.publish.snapshot import PUBLIC_MARTS


def asset_graph():
    return defs().resolve_asset_graph()


def test_every_dependency_is_an_asset_of_the_project():
    """No dangling keys: a typo'd dependency would make Dagster run a step before its inputs exist."""
    graph = asset_graph()
    materializable = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    for key in materializable:
        for parent in graph.get(key).parent_keys:
            assert parent in materializable, f"{key.to_user_string()} depends on unknown {parent.to_user_string()}"


def test_raw_assets_feed_the_dbt_sources():
    graph = asset_graph()
    for entity in ENTITIES:
        children = {child.to_user_string() for child in graph.get(dg.AssetKey(["raw", entity])).child_keys}
        assert children, f"raw/{entity} feeds no dbt model"
    for name in CONFIG_FILES:
        assert graph.get(dg.AssetKey(["config", name])).child_keys, f"config/{name} feeds no dbt model"


def test_publish_waits_for_the_public_marts():
    parents = {key.to_user_string() for key in asset_graph().get(dg.AssetKey("published_marts")).parent_keys}
    assert parents == {f"marts/{mart}" for mart in PUBLIC_MARTS} | {"audit/quarantine"}
    assert {"marts/funnel_daily", "marts/kpi_monthly", "marts/capacity_plan", "marts/alerts"} <= parents


def test_dbt_tests_are_asset_checks():
    check_keys = asset_graph().asset_check_keys
    assert any(key.asset_key == dg.AssetKey(["marts", "funnel_daily"]) for key in check_keys)


def test_nightly_schedule_runs_at_two_in_the_configured_zone(monkeypatch):
    assert nightly_schedule.cron_schedule == "0 2 * * *"
    assert nightly_schedule.execution_timezone == "Europe/Moscow"
    assert defs().resolve_job_def("nightly_job") is not None


def test_landing_sensor_fires_once_per_change(tmp_path):
    (tmp_path / "landing" / "contacts").mkdir(parents=True)
    # a context manager, as the daemon opens it: the warehouse resource has a lifecycle (the run lock)
    with dg.build_sensor_context(cursor=None,
                                 resources={"warehouse": WarehouseResource(data_dir=str(tmp_path))}) as context:
        assert isinstance(landing_files_sensor(context), dg.SkipReason)  # nothing landed yet

        (tmp_path / "landing" / "contacts" / "a.csv").write_text("contact_id\n1\n")
        first = landing_files_sensor(context)
        assert isinstance(first, dg.RunRequest)
        assert isinstance(landing_files_sensor(context), dg.SkipReason)  # same files: no second run

    (tmp_path / "landing" / "contacts" / "b.csv").write_text("contact_id\n2\n")
    second = landing_files_sensor(context)
    assert isinstance(second, dg.RunRequest) and second.run_key != first.run_key
