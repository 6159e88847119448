"""The Dagster UI alone should tell a newcomer what is what: groups, descriptions, owners, the dashboard."""

import dagster as dg

from orchestration.definitions import defs

GROUPS = {"raw", "staging", "intermediate", "marts", "audit", "publish"}


def test_every_asset_has_a_known_group_a_description_and_an_owner():
    specs = list(defs().resolve_all_asset_specs())
    assert {spec.group_name for spec in specs} == GROUPS
    for spec in specs:
        name = spec.key.to_user_string()
        assert spec.description and len(spec.description) > 20, f"{name} has no description"
        assert spec.owners, f"{name} has no owner"


def test_raw_entities_are_in_the_raw_group():
    graph = defs().resolve_asset_graph()
    assert graph.get(dg.AssetKey(["raw", "contacts"])).group_name == "raw"
    assert graph.get(dg.AssetKey(["config", "channels"])).group_name == "raw"


def test_the_dashboard_is_rendered_after_the_publish():
    graph = defs().resolve_asset_graph()
    dashboard = graph.get(dg.AssetKey("dashboard"))
    assert {key.to_user_string() for key in dashboard.parent_keys} == {"published_marts"}
    assert dashboard.group_name == "publish"
    assert dg.AssetKey("dashboard") in defs().resolve_job_def("nightly_job").asset_layer.asset_graph.get_all_asset_keys()
