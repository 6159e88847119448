"""`membrana status` and the dashboard's run section on a hand-made snapshot and run report
(docs/run_report.md, schema_version 1): freshness per source and exit codes worked out by hand."""

import json
from datetime import date, datetime

import duckdb
import pytest

from orchestration.nightly.status import (
    STATUS_LAST_RUN_FAILED,
    STATUS_NOTHING_PUBLISHED,
    STATUS_OK,
    collect_status,
    format_status,
    status_exit_code,
    write_last_run,
)
from orchestration.publish.dashboard import LABELS, run_section

TODAY = date(2026, 11, 10)


def write_snapshot(path) -> None:
    with duckdb.connect() as con:  # attached under a name of its own: a file called marts.duckdb clashes
        con.execute(f"attach '{path}' as snap")
        con.execute("create schema snap.marts")
        con.execute("""create table snap.marts.funnel_daily as select * from (values
            (date '2026-11-01', 'a', 3, 0, 1, 0, 10.0, 0.0),
            (date '2026-11-05', 'b', 0, 2, 0, 1, 0.0, 5.0),
            (date '2026-11-07', 'b', 0, 0, 0, 0, 0.0, 0.0)
        ) as t(date, channel, incoming_contacts, fixed_leads, meetings_booked, deals_won, ad_spend, other_costs)""")


@pytest.fixture
def data_dir(tmp_path):
    (tmp_path / "published").mkdir()
    write_snapshot(tmp_path / "published" / "membrana.duckdb")
    (tmp_path / "logs").mkdir()
    return tmp_path


def report(status: str, **extra) -> dict:
    return {"schema_version": 1, "status": status, "started_at": "2026-11-10T02:00:00", "duration_seconds": 61.4,
            "reason": "" if status == "published" else "check sources_are_fresh failed",
            "checks": {"passed": 10, "warned": 2, "failed": 0 if status == "published" else 1, "not_run": 0},
            **extra}


def test_freshness_is_the_last_day_each_source_has_data(data_dir):
    status = collect_status(data_dir, TODAY)
    through = {item["source"]: (item["data_through"], item["days_old"]) for item in status["freshness"]}
    assert through == {
        "contacts": ("2026-11-01", 9), "leads": ("2026-11-05", 5), "meetings": ("2026-11-01", 9),
        "deals": ("2026-11-05", 5), "ad_spend": ("2026-11-01", 9), "costs": ("2026-11-05", 5),
    }
    assert status["loads"] is None  # no warehouse in this folder
    assert "load manifest unavailable" in format_status(status)


def test_a_pre_v2_snapshot_is_read_until_the_next_run_publishes(tmp_path):
    """A folder upgraded to contract v2 that has not run since: its last good snapshot is published/marts.duckdb."""
    (tmp_path / "published").mkdir()
    write_snapshot(tmp_path / "published" / "marts.duckdb")
    status = collect_status(tmp_path, TODAY)
    assert status_exit_code(status) != STATUS_NOTHING_PUBLISHED
    assert status["published_at"] is not None and status["freshness"][0]["data_through"] == "2026-11-01"
    assert status["outputs"]["snapshot"] == str(tmp_path / "published" / "marts.duckdb")


def test_nothing_published_exits_3(tmp_path):
    status = collect_status(tmp_path, TODAY)
    assert status_exit_code(status) == STATUS_NOTHING_PUBLISHED
    assert "none yet" in format_status(status)


def test_a_published_run_report_exits_0_with_its_check_counts(data_dir):
    (data_dir / "logs" / "run_report.json").write_text(json.dumps(report("published")))
    status = collect_status(data_dir, TODAY)
    assert status_exit_code(status) == STATUS_OK
    text = format_status(status)
    assert "Last run: 2026-11-10T02:00:00, 61 s, succeeded" in text
    assert "checks: 10 passed, 2 warned" in text


def test_a_blocked_run_exits_1_and_says_why_and_which_membranes_drifted(data_dir):
    drift = ["month 2026-10-01 tv closing_rate 0.40 below 0.45"]
    (data_dir / "logs" / "run_report.json").write_text(json.dumps(report("blocked", drift_alerts=drift)))
    status = collect_status(data_dir, TODAY)
    assert status_exit_code(status) == STATUS_LAST_RUN_FAILED
    text = format_status(status)
    assert "BLOCKED — check sources_are_fresh failed" in text
    assert "checks: 10 passed, 2 warned, 1 failed" in text
    assert f"drift: {drift[0]}" in text


def test_without_a_run_report_the_last_run_record_decides(data_dir):
    write_last_run(data_dir / "logs", datetime(2026, 11, 10, 2), 12.0, False, "raw.contacts: bad file", None)
    status = collect_status(data_dir, TODAY)
    assert status_exit_code(status) == STATUS_LAST_RUN_FAILED
    assert "FAILED — raw.contacts: bad file" in format_status(status)
    write_last_run(data_dir / "logs", datetime(2026, 11, 10, 2), 12.0, True, "",
                   {"models": {"success": 3}, "tests": {"pass": 7, "warn": 1}})
    status = collect_status(data_dir, TODAY)
    assert status_exit_code(status) == STATUS_OK
    assert "dbt 3 models (3 success); 8 tests (7 pass, 1 warn)" in format_status(status)


def test_dashboard_run_section_lists_outcome_checks_blocking_failures_and_drift():
    facts = dict(run_section(report("blocked", drift_alerts=["a drifted", "b drifted"],
                                    blocking_failures=[{"summary": "contacts 9 days old"}]), LABELS["en"]))
    assert facts["Outcome"] == "blocked"
    assert facts["Checks"] == "10 passed, 2 warned, 1 failed"
    assert facts["Blocking failures"] == "contacts 9 days old"
    assert facts["Drift alerts"] == "a drifted; b drifted"
    assert run_section(None, LABELS["en"]) is None


def test_a_run_that_failed_before_writing_its_report_is_the_last_run(data_dir):
    """A full disk or a damaged warehouse stops a run before its report: the report on disk is the night
    before's, and status must show the failure, not that night's success."""
    (data_dir / "logs" / "run_report.json").write_text(json.dumps(report("published")))  # started 02:00:00
    reason = "the warehouse … cannot be used (…): rebuild it from landing/ and config/ with `membrana run --rebuild`"
    write_last_run(data_dir / "logs", datetime(2026, 11, 11, 2, 0, 0), 3.0, False, reason, None)
    status = collect_status(data_dir, TODAY)
    assert status_exit_code(status) == STATUS_LAST_RUN_FAILED
    assert f"FAILED — {reason}" in format_status(status)
    # the same night's report is read when the run wrote one (the command records its start a moment earlier)
    write_last_run(data_dir / "logs", datetime(2026, 11, 10, 1, 59, 58), 63.0, True, "", None)
    assert status_exit_code(collect_status(data_dir, TODAY)) == STATUS_OK
