"""A mart's last expectation result, and the dbt tests' last results, are replayed only for the tables
they judged, by the suites that judged them: a new build, or a changed suite, and they must run again."""

import duckdb
import pytest

from orchestration.build.build_state import record_build
from orchestration.ingest.landing import ensure_schemas
from orchestration.quality import replay
from orchestration.quality.gates import GateOutcome

WARNED = GateOutcome(False, "warn", "1 of 49 expectations failed: closing_rate [warning]: 9 rows",
                     {"suite": "kpi_monthly", "evaluated": 49, "rows": 96, "chunks": 1})


@pytest.fixture
def results_dir(tmp_path):
    return tmp_path / "logs" / "check_results"


@pytest.fixture
def warehouse(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        ensure_schemas(con)
        record_build(con, "2026-11-01 02:00:00", "config-1", "dbt-1", engine="duckdb")
        yield con


def test_the_last_result_comes_back_as_it_was_for_the_same_build(results_dir, warehouse):
    replay.store_result(results_dir, warehouse, "kpi_monthly", WARNED)
    assert replay.stored_result(results_dir, warehouse, "kpi_monthly") == WARNED
    assert replay.stored_result(results_dir, warehouse, "funnel_daily") is None  # never validated


@pytest.mark.parametrize("next_build", [
    ("2026-11-02 02:00:00", "config-1", "dbt-1", "duckdb"),  # rows loaded since
    ("2026-11-01 02:00:00", "config-2", "dbt-1", "duckdb"),
    ("2026-11-01 02:00:00", "config-1", "dbt-2", "duckdb"),
    ("2026-11-01 02:00:00", "config-1", "dbt-1", "spark"),  # the same rows built on another engine
])
def test_a_result_from_before_the_last_build_is_not_replayed(results_dir, warehouse, next_build):
    replay.store_result(results_dir, warehouse, "kpi_monthly", WARNED)
    *identity, engine = next_build
    record_build(warehouse, *identity, engine=engine)
    assert replay.stored_result(results_dir, warehouse, "kpi_monthly") is None


def test_a_changed_suite_is_validated_again(results_dir, warehouse, tmp_path, monkeypatch):
    suites = tmp_path / "suites.py"
    suites.write_text("RULES = ['not null']\n")
    monkeypatch.setattr(replay, "QUALITY_CODE", [suites])
    replay.store_result(results_dir, warehouse, "kpi_monthly", WARNED)
    assert replay.stored_result(results_dir, warehouse, "kpi_monthly") == WARNED
    suites.write_text("RULES = ['not null', 'unique']\n")
    assert replay.stored_result(results_dir, warehouse, "kpi_monthly") is None


DBT_TESTS = [{"asset_key": ["funnel_daily"], "check_name": "not_null_funnel_daily_date", "passed": True,
              "severity": "ERROR", "failed_row_count": None}]


def test_dbt_test_results_come_back_for_the_build_they_were_stored_with(results_dir, warehouse):
    replay.store_dbt_test_results(
        results_dir,
        {"built_through": "2026-11-01 02:00:00", "config_fingerprint": "config-1", "dbt_project_fingerprint": "dbt-1",
         "built_on": "duckdb"},
        DBT_TESTS,
    )
    assert replay.stored_dbt_test_results(results_dir, warehouse) == DBT_TESTS


@pytest.mark.parametrize("stored_build", [
    ("2026-10-31 02:00:00", "config-1", "dbt-1", "duckdb"),  # an earlier build's: the last stopped before storing
    ("2026-11-01 02:00:00", "config-0", "dbt-1", "duckdb"),
    ("2026-11-01 02:00:00", "config-1", "dbt-0", "duckdb"),
    ("2026-11-01 02:00:00", "config-1", "dbt-1", "spark"),
])
def test_dbt_test_results_of_another_build_are_not_replayed(results_dir, warehouse, stored_build):
    assert len(stored_build) == len(replay.BUILD_IDENTITY)
    replay.store_dbt_test_results(results_dir, dict(zip(replay.BUILD_IDENTITY, stored_build)), DBT_TESTS)
    assert replay.stored_dbt_test_results(results_dir, warehouse) == []
