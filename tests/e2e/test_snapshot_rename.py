"""Contract v2 renamed the snapshot published/marts.duckdb to published/membrana.duckdb. A data folder upgraded
from before it, not run since, still serves its last good snapshot under the old name; a blocked run keeps it;
the first run that publishes removes it and says so once."""

import hashlib
import shutil

import pytest

from tests.support.marts import run_report
from tests.support.membrana import run_membrana

NOTICE = ("removed published/marts.duckdb, the pre-v2 name of the snapshot; "
          "it is now published/membrana.duckdb")


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def upgraded(built_demo_to_change):
    """The built demo as an install published before v2 left it: its snapshot under the old name only."""
    published = built_demo_to_change.data_dir / "published"
    shutil.copy2(published / "membrana.duckdb", published / "marts.duckdb")
    (published / "membrana.duckdb").unlink()
    return built_demo_to_change.data_dir


def test_status_export_plan_and_dashboard_read_the_pre_v2_snapshot(upgraded, tmp_path):
    old = upgraded / "published" / "marts.duckdb"
    status = run_membrana("status", data_dir=upgraded)
    assert status.returncode == 0, status.stderr
    assert f"snapshot  {old}" in status.stdout and "Published snapshot: none yet" not in status.stdout
    export = run_membrana("export", "--mart", "kpi_monthly", "--format", "csv", "--out", tmp_path, data_dir=upgraded)
    assert export.returncode == 0, export.stderr
    assert len((tmp_path / "kpi_monthly.csv").read_text().splitlines()) > 1
    plan = run_membrana("plan", "--json", data_dir=upgraded)
    assert plan.returncode == 0, plan.stderr
    dashboard = run_membrana("dashboard", data_dir=upgraded)
    assert dashboard.returncode == 0, dashboard.stderr
    assert not (upgraded / "published" / "membrana.duckdb").exists()


def test_a_blocked_run_keeps_the_pre_v2_snapshot(upgraded):
    old = upgraded / "published" / "marts.duckdb"
    before = digest(old)
    # The demo's contacts end on 2026-10-31 and block after 7 days (as in test_quality_gates).
    result = run_membrana("run", data_dir=upgraded, env={"MEMBRANA_RUN_DATE": "2026-11-09"})
    assert result.returncode == 1
    assert "sources_are_fresh" in result.stderr and "pre-v2" not in result.stdout + result.stderr
    assert digest(old) == before and not (upgraded / "published" / "membrana.duckdb").exists()
    report = run_report(upgraded)
    assert report["status"] == "blocked"
    assert report["published"]["snapshot"] == str(old) and report["published"]["removed_pre_v2_snapshot"] is None
    assert f"the previous snapshot of {report['published']['snapshot_written_at']} stays ({old})" in (
        upgraded / "logs" / "run_report.md").read_text()
    assert run_membrana("status", data_dir=upgraded).returncode == 1  # the last run was blocked; still published


def test_the_first_run_that_publishes_removes_the_pre_v2_snapshot_and_says_so_once(upgraded):
    published = upgraded / "published"
    result = run_membrana("run", data_dir=upgraded)
    assert result.returncode == 0, result.stderr
    assert not (published / "marts.duckdb").exists()
    assert (published / "membrana.duckdb").exists()
    said = result.stdout + result.stderr
    assert said.count("the pre-v2 name of the snapshot") == 1 and NOTICE in result.stdout
    assert result.stderr == ""
    report = run_report(upgraded)
    assert report["status"] == "published" and report["published"]["removed_pre_v2_snapshot"] == NOTICE
    assert report["published"]["snapshot"] == str(published / "membrana.duckdb")
    assert NOTICE in (upgraded / "logs" / "run_report.md").read_text()
    status = run_membrana("status", data_dir=upgraded)
    assert status.returncode == 0 and f"snapshot  {published / 'membrana.duckdb'}" in status.stdout
