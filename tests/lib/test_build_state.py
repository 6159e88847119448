"""What the next dbt build must do, from the state the last one left in audit.build_state."""

import duckdb
import pytest

from orchestration.build.build_state import (
    BuildPlan,
    mark_build_started,
    plan_build,
    plan_on_engine_tables,
    read_state,
    record_build,
)
from orchestration.ingest.landing import ensure_schemas


@pytest.fixture
def con():
    with duckdb.connect() as connection:
        ensure_schemas(connection)
        yield connection


def test_the_first_build_is_a_full_refresh(con):
    plan = plan_build(con, "config-1", "dbt-1", "1900-01-01 00:00:00", engine="duckdb")
    assert plan.full_refresh and not plan.nothing_new


def test_nothing_new_only_when_rows_config_and_dbt_project_are_those_of_a_passed_build(con):
    record_build(con, "2026-11-01 02:00:00", "config-1", "dbt-1", engine="duckdb")
    assert plan_build(con, "config-1", "dbt-1", "2026-11-01 02:00:00", engine="duckdb").nothing_new
    newer_rows = plan_build(con, "config-1", "dbt-1", "2026-11-02 02:00:00", engine="duckdb")
    assert not newer_rows.nothing_new and not newer_rows.full_refresh
    assert newer_rows.loaded_after == "2026-11-01 02:00:00"
    assert plan_build(con, "config-2", "dbt-1", "2026-11-01 02:00:00", engine="duckdb").full_refresh
    assert plan_build(con, "config-1", "dbt-1", "2026-11-01 02:00:00", engine="duckdb",
                      force_full_refresh=True).full_refresh


def test_a_build_that_did_not_pass_is_never_taken_as_done(con):
    record_build(con, "2026-11-01 02:00:00", "config-1", "dbt-1", engine="duckdb")
    mark_build_started(con)  # and it failed: nothing recorded after it
    assert not plan_build(con, "config-1", "dbt-1", "2026-11-01 02:00:00", engine="duckdb").nothing_new


def test_another_dbt_project_rebuilds_everything(con):
    """Incremental staging keeps rows the earlier project's SQL typed: they must be typed again."""
    record_build(con, "2026-11-01 02:00:00", "config-1", "dbt-1", engine="duckdb")
    for newest_load in ("2026-11-01 02:00:00", "2026-11-02 02:00:00"):
        plan = plan_build(con, "config-1", "dbt-2", newest_load, engine="duckdb")
        assert plan.full_refresh and not plan.nothing_new and plan.loaded_after is None
        assert plan.reason == "dbt project changed"


def test_an_incremental_build_names_the_sources_with_rows_after_the_last_build(con):
    record_build(con, "2026-11-01 02:00:00", "config-1", "dbt-1", engine="duckdb")
    con.execute("""insert into audit.load_manifest (entity, file_path, loaded_at) values
        ('contacts', 'contacts_1.csv', '2026-11-01 02:00:00'), ('ad_spend', 'ad_spend_1.csv', '2026-11-01 01:00:00'),
        ('contacts', 'contacts_2.csv', '2026-11-02 02:00:00'), ('deals', 'deals_2.csv', '2026-11-02 02:00:00')""")
    plan = plan_build(con, "config-1", "dbt-1", "2026-11-02 02:00:00", engine="duckdb")
    assert not plan.full_refresh and plan.new_rows_in == {"contacts", "deals"}  # loaded after, not at, the mark
    full = plan_build(con, "config-2", "dbt-1", "2026-11-02 02:00:00", engine="duckdb")
    assert full.new_rows_in == set()  # a full build


@pytest.mark.parametrize("last, now", [("spark", "duckdb"), ("duckdb", "spark")])
def test_a_build_on_another_engine_than_the_last_rebuilds_everything(con, last, now):
    """The tables this engine has are older than the last build, or absent (a folder tried on Spark, then
    built on DuckDB again): nothing of them can be kept, even with no row loaded since."""
    record_build(con, "2026-11-01 02:00:00", "config-1", "dbt-1", engine=last)
    assert plan_build(con, "config-1", "dbt-1", "2026-11-01 02:00:00", engine=last).nothing_new
    for newest_load in ("2026-11-01 02:00:00", "2026-11-02 02:00:00"):
        plan = plan_build(con, "config-1", "dbt-1", newest_load, engine=now)
        assert plan.full_refresh and not plan.nothing_new and plan.loaded_after is None
        assert plan.reason == f"the last build was on {last}, this one is on {now}"


def test_a_build_state_without_its_engine_rebuilds_everything_once(con):
    """Recorded before membrana kept the engine: it may have been either."""
    record_build(con, "2026-11-01 02:00:00", "config-1", "dbt-1", engine="duckdb")
    con.execute("delete from audit.build_state where state_key = 'built_on'")
    plan = plan_build(con, "config-1", "dbt-1", "2026-11-01 02:00:00", engine="duckdb")
    assert plan.full_refresh and plan.reason.startswith("the last build was before membrana recorded the engine")
    record_build(con, "2026-11-01 02:00:00", "config-1", "dbt-1", engine="duckdb")
    assert plan_build(con, "config-1", "dbt-1", "2026-11-01 02:00:00", engine="duckdb").nothing_new


@pytest.mark.parametrize("on_spark, kept", [
    ({"built_through": "2026-11-01 02:00:00", "config_fingerprint": "config-1", "dbt_project_fingerprint": "dbt-1",
      "built_on": "spark"}, True),
    ({}, False),  # a Spark warehouse without membrana's build state (new, or another's)
    ({"built_through": "2026-10-25 02:00:00", "config_fingerprint": "config-1", "dbt_project_fingerprint": "dbt-1",
      "built_on": "spark"}, False),  # restored from an earlier night
    ({"built_through": "2026-11-01 02:00:00", "config_fingerprint": "config-0", "dbt_project_fingerprint": "dbt-1",
      "built_on": "spark"}, False),
])
def test_on_spark_the_plan_holds_only_for_the_tables_of_the_recorded_build(con, on_spark, kept):
    record_build(con, "2026-11-01 02:00:00", "config-1", "dbt-1", engine="spark")
    recorded = read_state(con)
    for newest_load in ("2026-11-01 02:00:00", "2026-11-02 02:00:00"):
        plan = plan_build(con, "config-1", "dbt-1", newest_load, engine="spark")
        assert not plan.full_refresh
        on_tables = plan_on_engine_tables(plan, recorded, on_spark)
        assert (on_tables == plan) is kept
        if not kept:
            assert on_tables.full_refresh and on_tables.loaded_after is None and not on_tables.nothing_new
            assert on_tables.reason.startswith("the spark tables are not those of the last build (built through "
                                               "2026-11-01 02:00:00): they carry ")
    full = BuildPlan(True, None, "first build")
    assert plan_on_engine_tables(full, recorded, {}) == full
