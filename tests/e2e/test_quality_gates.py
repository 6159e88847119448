"""Write-audit-publish through the real pipeline: a clean run publishes and reports; each blocking gate,
broken on purpose, stops the publish with a non-zero exit naming the check, and the published snapshot
stays byte for byte what it was; a warning is reported and the marts are still published.

Two full pipeline runs after the clean one (freshness and lead integrity: they need the loader and dbt);
the expectation suites and the reconciliation are broken by editing a built mart and running only the
check and the publish step of the same job (seconds, no dbt)."""

import shutil
from datetime import date, timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.data_folder import DataFolder
from tests.support.marts import published_rows, run_report
from tests.support.membrana import run_membrana
from tests.support.published import published_files


@pytest.fixture(scope="module")
def clean(built_demo_to_change):
    return built_demo_to_change.data_dir, built_demo_to_change.first_run


def test_a_clean_run_publishes_every_public_mart_and_reports_it(clean):
    data_dir, result = clean
    run = run_report(data_dir)
    assert run["status"] == "published" and run["exit_code"] == 0
    assert run["run_date"] == "2026-11-01"  # the demo's config/run_date.csv: the day after its exports end
    assert run["checks"]["failed"] == 0 and run["checks"]["not_run"] == 0
    gates = {r["check"]: r for r in run["check_results"] if r["kind"] != "dbt_test"}
    assert gates["sources_are_fresh"]["status"] == "passed"
    assert gates["marts_reconcile_with_staging"]["status"] == "passed"
    for mart in ("funnel_daily", "kpi_monthly", "capacity_plan", "alerts"):
        assert gates[f"{mart}_meets_its_expectations"]["status"] in ("passed", "warned")
        assert run["published"]["rows"][mart] == len(published_rows(data_dir, mart))
    # per file: the rows loaded are the file's data lines, the quarantined ones are in audit.quarantine
    files = {Path(f["file"]).name: f for f in run["files"]}
    landing = sorted((data_dir / "landing").rglob("*.csv"))
    assert set(files) == {p.name for p in landing}
    some_file = landing[0]
    assert files[some_file.name]["rows_loaded"] == len(some_file.read_text().splitlines()) - 1
    quarantined = published_rows(data_dir, "audit.quarantine")
    assert run["totals"]["rows_quarantined"] == len(quarantined) > 0
    # the human summary is printed and saved
    summary = (data_dir / "logs" / "run_report.md").read_text()
    assert f"Checks: {run['checks']['passed']} passed" in result.stdout and "Checks:" in summary
    assert "Published: funnel_daily" in result.stdout


def test_the_alerts_mart_matches_control_limits_computed_from_the_published_funnel(clean):
    """Second method: the last complete month's booking and closing rates per channel against a p-chart of
    the earlier months, worked out here in plain Python from funnel_daily."""
    data_dir, _ = clean
    daily = published_rows(data_dir, "funnel_daily")
    last_day = max(row["date"] for row in daily)
    months = {}
    for row in daily:
        key = (row["date"].replace(day=1), row["channel"])
        sums = months.setdefault(key, {"incoming_contacts": 0, "meetings_booked": 0, "meetings_held": 0,
                                       "traced_deals_won": 0})
        for column in ("incoming_contacts", "meetings_booked", "meetings_held"):
            sums[column] += row[column]
        # the second membrane passes only the deals a lead traces (deals with no lead had no meeting)
        sums["traced_deals_won"] += row["deals_won"] - row["deals_without_lead"]
    all_months = sorted({month for month, _ in months})
    complete = [m for m in all_months if (m.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1) <= last_day]
    latest, history = complete[-1], complete[-13:-1]
    alerts = {(r["channel"], r["membrane"]): r for r in published_rows(data_dir, "alerts") if r["period_grain"] == "month"}
    checked = 0
    for channel in {c for _, c in months}:
        for membrane, numerator, denominator in (("booking_rate", "meetings_booked", "incoming_contacts"),
                                                  ("closing_rate", "traced_deals_won", "meetings_held")):
            def total(column, periods, channel=channel):
                return sum(months.get((m, channel), {}).get(column, 0) for m in periods)
            n, x = total(denominator, [latest]), total(numerator, [latest])
            center = total(numerator, history) / total(denominator, history) if total(denominator, history) else None
            row = alerts[(channel, membrane)]
            assessable = (n >= 30 and len(history) >= 6 and total(denominator, history) >= 180
                          and center is not None and 0 < center < 1)
            if not assessable:
                assert row["alert_status"] == "not_enough_volume", (channel, membrane)
                continue
            sigma3 = 3 * (center * (1 - center) / n) ** 0.5
            rate = x / n
            expected = ("within_limits" if center - sigma3 <= rate <= center + sigma3
                        else ("better" if rate > center + sigma3 else "worse"))
            assert row["period_start"] == latest and row["alert_status"] == expected, (channel, membrane)
            assert row["center_rate"] == pytest.approx(center) and row["rate"] == pytest.approx(rate)
            assert row["lower_limit"] == pytest.approx(max(center - sigma3, 0))
            checked += 1
    assert checked >= 5  # enough channels had the volume to be judged


def test_a_stale_source_blocks_the_publish_and_keeps_the_snapshot(clean):
    data_dir, _ = clean
    before = published_files(data_dir)
    # The demo's contacts end on 2026-10-31 and block after 7 days: 2026-11-09 is 9 days later.
    result = run_membrana("run", data_dir=data_dir, env={"MEMBRANA_RUN_DATE": "2026-11-09"})
    assert result.returncode != 0
    assert "sources_are_fresh" in result.stderr and "contacts newest 2026-10-31 is 9 days old" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert published_files(data_dir) == before
    run = run_report(data_dir)
    assert run["status"] == "blocked" and not run["published"]["published"]
    assert [f["check"] for f in run["blocking_failures"]] == ["sources_are_fresh"]
    assert result.stdout == ""
    assert "Not published: the previous snapshot" in (data_dir / "logs" / "run_report.md").read_text()


def test_without_a_freshness_file_a_stale_source_warns_and_still_publishes(clean, tmp_path, monkeypatch):
    """A historical backfill or an old export: no config/freshness.csv, the run date years later."""
    data_dir, _ = clean
    copy = tmp_path / "backfill"
    shutil.copytree(data_dir, copy, symlinks=True)
    (copy / "config" / "freshness.csv").unlink()
    monkeypatch.setenv("MEMBRANA_RUN_DATE", "2029-01-01")
    before = published_files(copy)
    result = run_gate_and_publish(copy, monkeypatch, "funnel_daily", "sources_are_fresh")
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert "contacts newest 2026-10-31 is 793 days old (warn after 2)" in evaluation.description
    assert published_files(copy)["membrana.duckdb"] != before["membrana.duckdb"]


def run_gate_and_publish(data_dir: Path, monkeypatch, mart: str, check: str):
    """Only `check` and the publish step of the nightly job, on the marts already built in `data_dir`."""
    monkeypatch.setenv("MEMBRANA_DATA_DIR", str(data_dir))
    from orchestration.definitions import defs

    job = defs().resolve_job_def("nightly_job").get_subset(
        asset_selection={dg.AssetKey("published_marts")},
        asset_check_selection={dg.AssetCheckKey(dg.AssetKey(["marts", mart]), check)},
    )
    return job.execute_in_process(raise_on_error=False)


@pytest.mark.parametrize(("mart", "check", "break_it", "named"), [
    ("funnel_daily", "funnel_daily_meets_its_expectations",
     "update marts.funnel_daily set deals_won = -1 where date = (select max(date) from marts.funnel_daily)",
     "expect_column_values_to_be_between(deals_won) [critical]"),
    ("kpi_monthly", "kpi_monthly_meets_its_expectations",
     "insert into marts.kpi_monthly select * from marts.kpi_monthly limit 1",
     "expect_compound_columns_to_be_unique(month,channel) [critical]"),
    ("capacity_plan", "capacity_plan_meets_its_expectations",
     "update marts.capacity_plan set required_contacts = -5", "expect_column_values_to_be_between(required_contacts)"),
    ("alerts", "alerts_meets_its_expectations",
     "update marts.alerts set alert_status = 'fine'", "expect_column_values_to_be_in_set(alert_status)"),
    # per-column rules that were dbt tests of the marts until they moved into the suites
    ("funnel_cohorts", "funnel_cohorts_meets_its_expectations",
     "update marts.funnel_cohorts set deals_won = null where week_number = 0",
     "expect_column_values_to_not_be_null(deals_won) [critical]"),
    ("membranes_by_employee", "membranes_by_employee_meets_its_expectations",
     "update marts.membranes_by_employee set role = 'boss' where role = 'manager'",
     "expect_column_values_to_be_in_set(role) [critical]"),
    ("lead_qualification", "lead_qualification_meets_its_expectations",
     "update marts.lead_qualification set mql_rate = 1.5 where mql_rate is not null",
     "expect_column_values_to_be_between(mql_rate) [critical]"),
    ("kpi_monthly", "marts_reconcile_with_staging",
     "update marts.kpi_monthly set revenue = revenue + 100 where month = (select max(month) from marts.kpi_monthly)",
     "kpi_monthly.revenue"),
])
def test_a_broken_mart_blocks_the_publish_naming_the_check(clean, tmp_path, monkeypatch, mart, check, break_it, named):
    from orchestration.nightly.failure import failure_reason

    data_dir, _ = clean
    copy = tmp_path / "broken"
    shutil.copytree(data_dir, copy, symlinks=True)
    with duckdb.connect(str(copy / "warehouse.duckdb")) as con:
        con.execute(break_it)
    before = published_files(copy)
    result = run_gate_and_publish(copy, monkeypatch, mart, check)
    assert not result.success
    reason = failure_reason(result, DataFolder(copy))
    assert reason.startswith(f"check {check} on marts/{mart} failed") and named in reason
    assert "the previous snapshot stays" in reason
    assert not [e for e in result.get_asset_materialization_events() if e.asset_key == dg.AssetKey("published_marts")]
    assert published_files(copy) == before


def test_meetings_of_missing_leads_above_the_share_block_the_publish(clean):
    # In the module's own folder, as a night would: a copy elsewhere would load every file again.
    data_dir, _ = clean
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        october = con.execute("select count(*) from staging.stg_crm__meetings "
                              "where booked_at >= '2026-10-01' and booked_at < '2026-11-01'").fetchone()[0]
    orphans = october // 10 + 1  # 10 % of October's meetings, twice the default 5 %
    share = orphans / (october + orphans)
    lines = ["lead_id,meeting_id,booked_at,scheduled_at,status,manager_id,updated_at"] + [
        f"GHOST{i},GHOSTMEETING{i},2026-10-20 10:00:00,2026-10-25 10:00:00,planned,,2026-10-20 10:00:00"
        for i in range(orphans)
    ]
    (data_dir / "landing" / "meetings" / "meetings_ghosts.csv").write_text("\n".join(lines) + "\n")
    before = published_files(data_dir)
    result = run_membrana("run", data_dir=data_dir)
    assert result.returncode != 0
    assert (f"check meetings_and_deals_point_to_existing_leads on marts/funnel_daily failed: meetings of 2026-10: "
            f"{orphans} of {october + orphans} ({share:.1%}) point to missing leads (limit 5%)") in result.stderr
    assert published_files(data_dir) == before
    run = run_report(data_dir)
    assert run["status"] == "blocked"
    ghosts = [f for f in run["files"] if f["file"].endswith("meetings_ghosts.csv")]
    assert ghosts == [{"entity": "meetings", "file": str(data_dir / "landing" / "meetings" / "meetings_ghosts.csv"),
                       "rows_loaded": orphans, "rows_quarantined": 0, "loaded_this_run": True}]
    assert date.fromisoformat(run["run_date"]) == date(2026, 11, 1)
