"""What the next dbt build must do, from the state the last one left in audit.build_state."""

import duckdb
import pytest

from orchestration.build.build_state import mark_build_started, plan_build, record_build
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
