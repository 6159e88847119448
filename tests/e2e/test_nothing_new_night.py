"""A night with nothing new: no file loaded since the last successful build, config and dbt project
unchanged. dbt does not run (no model reads the run date, so it would rebuild the same tables and its
tests would give the same results), nor do the expectation suites (they would read the same marts);
the marts stay what they were, every check is reported with the same outcome, and the checks that read
the run date run against this night's date. One new file and dbt and the suites run again.

When not a file, setting or line of code changed, `membrana run` tells so before it starts the Dagster job
(a quiet night, nightly/quiet_night.py); a file touched but not changed runs the job, which finds that
nothing is new."""

import os
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.publish.snapshot import PUBLIC_MARTS
from tests.support.marts import published_rows, run_report
from tests.support.membrana import run_membrana


def outcomes(run: dict) -> dict:
    return {(r["asset"], r["check"]): r["status"] for r in run["check_results"]}


def dbt_results(data_dir: Path) -> tuple[int, bytes]:
    run_results = data_dir / "logs" / "dbt" / "run_results.json"
    return os.stat(run_results).st_mtime_ns, run_results.read_bytes()


def all_marts(data_dir: Path) -> dict:
    return {mart: sorted(map(repr, published_rows(data_dir, mart))) for mart in PUBLIC_MARTS}


@pytest.fixture(scope="module")
def built(built_demo_to_change):
    data_dir = built_demo_to_change.data_dir
    assert run_report(data_dir)["dbt_build"] == {"rebuilt": True, "note": None}
    return data_dir


def stored_check_results(data_dir: Path) -> dict:
    """Each mart's stored expectation result and the dbt tests' results: each file's modification time
    and content."""
    return {path.name: (os.stat(path).st_mtime_ns, path.read_bytes())
            for path in sorted((data_dir / "logs" / "check_results").glob("*.json"))}


def job_log(data_dir: Path) -> int:
    """When the Dagster job last wrote its log: a quiet night does not start the job."""
    return os.stat(data_dir / "logs" / "last_run.log").st_mtime_ns


def snapshot_bytes(data_dir: Path) -> tuple[int, bytes]:
    snapshot = data_dir / "published" / "membrana.duckdb"
    return os.stat(snapshot).st_mtime_ns, snapshot.read_bytes()


def test_nothing_new_runs_no_dbt_and_reports_every_check_as_before(built):
    first, dbt_before, marts_before = run_report(built), dbt_results(built), all_marts(built)
    validated_before, job_before, snapshot_before = stored_check_results(built), job_log(built), snapshot_bytes(built)
    result = run_membrana("run", data_dir=built)
    assert result.returncode == 0, result.stderr
    second = run_report(built)
    assert second["quiet_night"] and job_log(built) == job_before  # told apart before the job started
    assert snapshot_bytes(built) == snapshot_before
    assert "Nothing new: the snapshot of" in result.stdout
    assert dbt_results(built) == dbt_before  # dbt did not run
    assert not second["dbt_build"]["rebuilt"] and "no rows loaded since" in second["dbt_build"]["note"]
    assert "dbt did not run" in result.stdout
    assert second["status"] == "published" and second["checks"]["not_run"] == 0
    assert outcomes(second) == outcomes(first)
    dbt_tests = [r for r in second["check_results"] if r["kind"] == "dbt_test"]
    assert dbt_tests and all("in the last build, not re-run" in r["summary"] for r in dbt_tests)
    # The same decision covers the expectation suites: their last results, the suites not run again.
    suites = [r for r in second["check_results"] if r["kind"] == "expectations"]
    assert len(suites) == len(PUBLIC_MARTS) and all("not re-run: no rows loaded since" in r["summary"] for r in suites)
    assert set(validated_before) == {f"{mart}.json" for mart in PUBLIC_MARTS} | {"dbt_tests.json"}
    assert stored_check_results(built) == validated_before
    assert all_marts(built) == marts_before


def test_a_touched_file_runs_the_job_which_finds_nothing_new(built):
    first, dbt_before, marts_before = run_report(built), dbt_results(built), all_marts(built)
    job_before = job_log(built)
    touched = min((built / "landing" / "contacts").glob("*.csv"))
    os.utime(touched)  # the same bytes, a new modification time
    result = run_membrana("run", data_dir=built)
    assert result.returncode == 0, result.stderr
    second = run_report(built)
    assert job_log(built) != job_before and "quiet_night" not in second
    assert not second["dbt_build"]["rebuilt"] and "no rows loaded since" in second["dbt_build"]["note"]
    assert second["totals"]["rows_loaded_this_run"] == 0 and dbt_results(built) == dbt_before
    assert outcomes(second) == outcomes(first)
    dbt_tests = [r for r in second["check_results"] if r["kind"] == "dbt_test"]
    assert dbt_tests and all("in the last build, not re-run" in r["summary"] for r in dbt_tests)
    assert all_marts(built) == marts_before
    # The job remembered this night: the next one, with nothing touched, is quiet again.
    run_membrana("run", data_dir=built)
    assert run_report(built).get("quiet_night")


def test_a_changed_setting_is_not_a_quiet_night(built):
    job_before = job_log(built)
    result = run_membrana("run", data_dir=built, env={"MEMBRANA_LANGUAGE": "en"})
    assert result.returncode == 0, result.stderr
    assert job_log(built) != job_before and "quiet_night" not in run_report(built)


def test_a_quiet_night_measures_freshness_against_its_own_run_date(built):
    for _ in range(2):  # whatever the night before changed, the second of two nights is quiet
        run_membrana("run", data_dir=built)
    assert run_report(built).get("quiet_night")
    with duckdb.connect(str(built / "warehouse.duckdb"), read_only=True) as con:
        newest_contact = con.execute("select max(received_at) from staging.stg_crm__contacts").fetchone()[0].date()
    # Four days after the newest contact: past the demo's warning (2 days), short of blocking (7 days).
    day = newest_contact + timedelta(days=4)
    job_before = job_log(built)
    result = run_membrana("run", data_dir=built, env={"MEMBRANA_RUN_DATE": day.isoformat()})
    assert result.returncode == 0, result.stderr
    report = run_report(built)
    assert report["quiet_night"] and job_log(built) == job_before and report["run_date"] == day.isoformat()
    freshness = [r for r in report["check_results"] if r["check"] == "sources_are_fresh"]
    assert [r["status"] for r in freshness] == ["warned"]
    assert f"contacts newest {newest_contact} is 4 days old (warn after 2)" in freshness[0]["summary"]


def test_the_run_date_still_counts_when_dbt_does_not_run(built):
    dbt_before = dbt_results(built)
    # The demo's contacts end on 2026-10-31 and block after 7 days: 2026-11-09 is 9 days later.
    result = run_membrana("run", data_dir=built, env={"MEMBRANA_RUN_DATE": "2026-11-09"})
    assert dbt_results(built) == dbt_before
    assert result.returncode != 0 and "sources_are_fresh" in result.stderr
    run = run_report(built)
    assert run["run_date"] == "2026-11-09" and not run["dbt_build"]["rebuilt"]
    assert [f["check"] for f in run["blocking_failures"]] == ["sources_are_fresh"]


def test_one_new_file_runs_dbt_again(built):
    contacts_before = sum(row["incoming_contacts"] for row in published_rows(built, "funnel_daily"))
    dbt_before = dbt_results(built)
    (built / "landing" / "contacts" / "contacts_late.csv").write_text(
        "contact_id,received_at,contact_type,source,medium,campaign,client_key,lead_id,updated_at\n"
        "LATE1,2026-10-31 18:00:00,call,yandex,cpc,autumn,,,2026-10-31 18:00:00\n"
    )
    result = run_membrana("run", data_dir=built)
    assert result.returncode == 0, result.stderr
    assert dbt_results(built) != dbt_before
    assert run_report(built)["dbt_build"]["rebuilt"]
    suites = [r for r in run_report(built)["check_results"] if r["kind"] == "expectations"]
    assert suites and not any("not re-run" in r["summary"] for r in suites)
    assert sum(row["incoming_contacts"] for row in published_rows(built, "funnel_daily")) == contacts_before + 1
