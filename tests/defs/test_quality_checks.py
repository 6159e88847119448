"""Every public mart is guarded: its own Great Expectations suite as a blocking asset check, and the
gates that must stop the publish are blocking while the drift alert only warns."""

import dagster as dg

from orchestration.definitions import defs
from orchestration.publish.snapshot import PUBLIC_MARTS
from orchestration.quality.suites import SUITES


def check_specs() -> dict[dg.AssetCheckKey, dg.AssetCheckSpec]:
    graph = defs().resolve_asset_graph()
    return {key: graph.get_check_spec(key) for key in graph.asset_check_keys}


def test_every_public_mart_has_its_own_suite_as_a_blocking_check():
    specs = check_specs()
    for mart in PUBLIC_MARTS:
        assert mart in SUITES, f"{mart} has no Great Expectations suite in orchestration/quality/suites.py"
        key = dg.AssetCheckKey(dg.AssetKey(["marts", mart]), f"{mart}_meets_its_expectations")
        assert specs[key].blocking, mart


def test_gates_block_and_drift_only_warns():
    specs = {key.name: spec for key, spec in check_specs().items()}
    for gate in ("sources_are_fresh", "meetings_and_deals_point_to_existing_leads", "marts_reconcile_with_staging"):
        assert specs[gate].blocking, gate
    assert not specs["membranes_within_control_limits"].blocking


def test_published_marts_runs_after_the_blocking_checks_in_the_nightly_job():
    """Dagster skips a step downstream of a failed blocking check: publish must be downstream of each."""
    graph = defs().resolve_asset_graph()
    publish_parents = graph.get(dg.AssetKey("published_marts")).parent_keys
    for key in graph.asset_check_keys:
        if graph.get_check_spec(key).blocking and key.asset_key.path[0] == "marts":
            assert key.asset_key in publish_parents, key
