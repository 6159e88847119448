"""An incremental night runs only the dbt models its new rows reach, and the rebuild plan (which reads the
watermark); the other models keep their tables and their tests' last results. A night with only a month's ad
spend leaves the CRM and config staging alone, a night with only the weekly CRM exports the marketing and
config staging; after each, every published table equals a rebuild from scratch of the same files, and every
check is reported, none left out.

One small generated company: night 1 without its last month of ad spend and its last weekly CRM export,
night 2 with the ad spend, night 3 with the CRM export."""

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.support.marts import run_report
from tests.support.membrana import failure, run_membrana
from tests.support.published import snapshot_differences, snapshot_tables
from tests.support.spark_nights import deliver, hold_back_last_week

LAST_AD_SPEND = "ad_spend/ad_spend_2026-10.csv"


def night(data_dir: Path, run_date: str) -> dict:
    result = run_membrana("run", data_dir=data_dir, env={"MEMBRANA_RUN_DATE": run_date})
    assert result.returncode == 0, failure(result)
    return run_report(data_dir)


def models_run(data_dir: Path) -> set[str]:
    results = json.loads((data_dir / "logs" / "dbt" / "run_results.json").read_text())["results"]
    return {result["unique_id"].split(".")[-1] for result in results if result["unique_id"].startswith("model.")}


def checks(report: dict) -> dict[tuple[str, str], str]:
    return {(record["asset"], record["check"]): record["status"] for record in report["check_results"]}


def rebuild_differences(data_dir: Path, rebuilt: Path, run_date: str) -> list[str]:
    """The same landing files and config built from scratch in another folder, compared table by table."""
    shutil.rmtree(rebuilt, ignore_errors=True)
    for part in ("landing", "config"):
        shutil.copytree(data_dir / part, rebuilt / part)
    night(rebuilt, run_date)
    return snapshot_differences(snapshot_tables(rebuilt), snapshot_tables(data_dir), ("rebuilt", "nightly"))


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    root = tmp_path_factory.mktemp("partial")
    data_dir, aside = root / "company", root / "next_week"
    demo = run_membrana("demo", "--out", data_dir, "--contacts", "400", data_dir=data_dir)
    assert demo.returncode == 0, failure(demo)
    freshness = data_dir / "config" / "freshness.csv"  # a month of ad spend held back must not block night 1
    freshness.write_text(freshness.read_text().replace("ad_spend,3,10", "ad_spend,3,45"))
    exports_end = hold_back_last_week(data_dir, aside)
    (aside / "ad_spend").mkdir()
    shutil.move(data_dir / "landing" / LAST_AD_SPEND, aside / LAST_AD_SPEND)
    run_date = str(exports_end + timedelta(days=1))
    first = night(data_dir, run_date)
    assert first["dbt_build"] == {"rebuilt": True, "note": None} and models_run(data_dir)
    return data_dir, aside, root / "rebuilt", run_date, first


@pytest.fixture(scope="module")
def ad_spend_night(company):
    data_dir, aside, _, run_date, _ = company
    shutil.copy2(aside / LAST_AD_SPEND, data_dir / "landing" / LAST_AD_SPEND)
    return night(data_dir, run_date), models_run(data_dir)


def test_a_night_with_only_ad_spend_runs_the_marketing_side_and_the_rebuild_plan(company, ad_spend_night):
    _, _, _, _, first = company
    report, ran = ad_spend_night
    assert {"base_marketing__ad_spend", "stg_marketing__ad_spend", "funnel_daily", "kpi_monthly"} <= ran
    # the models that read the watermark run (the rebuild plan, and the CRM staging that restages the records
    # loaded after it): they find no CRM record changed
    assert {"int_changed_record_versions", "int_funnel_days_to_rebuild", "stg_crm__contacts"} <= ran
    assert not ran & {"base_crm__contacts", "base_crm__leads", "stg_config__channels", "base_marketing__costs",
                      "stg_marketing__costs"}
    assert report["dbt_build"]["rebuilt"] and "models not rebuilt" in report["dbt_build"]["note"]
    assert checks(report).keys() == checks(first).keys()  # the tests of what did not run: their last results
    assert report["checks"]["not_run"] == 0 and report["status"] == "published"


def test_the_ad_spend_night_publishes_what_a_rebuild_publishes(company, ad_spend_night):
    data_dir, _, rebuilt, run_date, _ = company
    assert rebuild_differences(data_dir, rebuilt, run_date) == []


@pytest.fixture(scope="module")
def crm_night(company, ad_spend_night):
    data_dir, aside, _, _, _ = company
    deliver(aside, data_dir)  # the CRM week (the ad spend file again, unchanged)
    export_day = date.fromisoformat(next((aside / "contacts").iterdir()).name.removeprefix("contacts_")[:10])
    run_date = str(export_day + timedelta(days=1))
    return night(data_dir, run_date), models_run(data_dir), run_date


def test_a_night_with_only_crm_exports_leaves_the_marketing_and_config_staging(company, crm_night):
    _, _, _, _, first = company
    report, ran, _ = crm_night
    assert {"base_crm__contacts", "stg_crm__contacts", "stg_crm__meetings", "funnel_daily", "clients"} <= ran
    assert not ran & {"base_marketing__ad_spend", "stg_marketing__ad_spend", "stg_marketing__fx_rates",
                      "stg_config__channels", "stg_config__capacity"}
    assert checks(report).keys() == checks(first).keys() and report["checks"]["not_run"] == 0


def test_the_crm_night_publishes_what_a_rebuild_publishes(company, crm_night):
    data_dir, _, rebuilt, _, _ = company
    _, _, run_date = crm_night
    assert rebuild_differences(data_dir, rebuilt, run_date) == []
