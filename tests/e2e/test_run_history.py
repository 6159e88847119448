"""Every night is visible in the Dagster UI: `membrana run` records its run in the data folder's Dagster
instance (its dagster/, the one `make dev` opens), with the assets it materialized and each check's result,
night after night."""

import json

import dagster as dg
import duckdb
import pytest

from orchestration.dagster_instance import DEFAULT_INSTANCE_CONFIG, dagster_home, prepared_dagster_home
from orchestration.data_folder import DataFolder
from orchestration.demo.company import generate_company
from tests.support.membrana import run_ok, write_files

REPORT_STATUS_IN_DAGSTER = {"passed": "SUCCEEDED", "warned": "FAILED", "failed": "FAILED"}


LATE_CONTACT = ("contact_id,received_at,contact_type,source,medium,campaign,client_key,lead_id,updated_at\n"
                "LATE1,2026-10-31 18:00:00,call,yandex,cpc,autumn,,,2026-10-31 18:00:00\n")


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> tuple[DataFolder, list[dict]]:
    """A small company's three nights: a full build, a quiet night (nothing changed: the job does not start,
    nightly/quiet_night.py) and a night with one more export; each night's run report."""
    folder = DataFolder(tmp_path_factory.mktemp("run_history"))
    generate_company(folder.root, contacts=400)
    reports = []
    for night in range(3):
        if night == 2:
            write_files(folder.root, {"landing/contacts/contacts_late.csv": LATE_CONTACT})
        run_ok(folder.root)
        reports.append(json.loads((folder.logs / "run_report.json").read_text()))
    assert [bool(report.get("quiet_night")) for report in reports] == [False, True, False]
    return folder, reports


@pytest.fixture(scope="module")
def two_nights(nights) -> tuple[DataFolder, list[dict]]:
    """The two nights the job ran."""
    folder, reports = nights
    return folder, [reports[0], reports[2]]


def test_a_quiet_night_is_in_the_run_history_not_a_dagster_run(nights, instance):
    folder, reports = nights
    quiet = reports[1]["run_id"]
    assert quiet not in {run.run_id for run in instance.get_runs()}
    history = [json.loads(line) for line in (folder.logs / "run_history.jsonl").read_text().splitlines()]
    assert [(line["run_id"], bool(line.get("quiet_night"))) for line in history] == [
        (reports[0]["run_id"], False), (quiet, True), (reports[2]["run_id"], False)]


@pytest.fixture(scope="module")
def instance(two_nights):
    folder, _ = two_nights
    with dg.DagsterInstance.from_config(str(folder.root / "dagster")) as opened:
        yield opened


def test_the_instance_holds_both_nights_with_their_status(two_nights, instance):
    _, reports = two_nights
    runs = instance.get_runs()
    assert sorted(run.run_id for run in runs) == sorted(report["run_id"] for report in reports)
    assert {run.job_name for run in runs} == {"nightly_job"}
    assert [run.status for run in runs] == [dg.DagsterRunStatus.SUCCESS] * 2


def test_each_night_materialized_the_snapshot_with_its_row_counts(two_nights, instance):
    folder, reports = two_nights
    records = instance.fetch_materializations(dg.AssetKey("published_marts"), limit=10).records
    assert sorted(record.run_id for record in records) == sorted(report["run_id"] for report in reports)
    with duckdb.connect(str(folder.published / "membrana.duckdb"), read_only=True) as con:
        kpi_rows = con.execute("select count(*) from marts.kpi_monthly").fetchone()[0]
    newest = records[0].asset_materialization
    assert newest.metadata["rows_kpi_monthly"].value == kpi_rows > 0


def test_each_check_has_its_result_of_every_night(two_nights, instance):
    """The instance's history of each check agrees, night by night, with that night's run report (built
    from the run's in-memory result, not from the instance)."""
    _, reports = two_nights
    evaluated = [record for record in reports[-1]["check_results"] if record["status"] != "not_run"]
    assert len(evaluated) > 20  # dbt tests, expectation suites and gates
    for record in evaluated:
        key = dg.AssetCheckKey(dg.AssetKey.from_user_string(record["asset"]), record["check"])
        history = instance.event_log_storage.get_asset_check_execution_history(key, limit=10)
        by_run = {execution.run_id: execution.status.value for execution in history}
        expected = {}
        for report in reports:
            night = next(r for r in report["check_results"] if (r["asset"], r["check"]) == (record["asset"],
                                                                                         record["check"]))
            expected[report["run_id"]] = REPORT_STATUS_IN_DAGSTER[night["status"]]
        assert by_run == expected, (record["asset"], record["check"])


def test_the_instance_lives_in_the_data_folder_with_telemetry_off(two_nights):
    folder, _ = two_nights
    home = folder.root / "dagster"
    assert "telemetry:\n  enabled: false" in (home / "dagster.yaml").read_text()
    assert not (home / "logs").exists()  # where Dagster writes what its telemetry would upload
    assert not (home / "storage").exists()  # no captured compute logs


def test_dagster_home_set_by_the_user_wins_and_keeps_its_own_settings(tmp_path, monkeypatch):
    folder = DataFolder(tmp_path / "company")
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert dagster_home(folder) == folder.root / "dagster"
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    home = prepared_dagster_home(folder)
    assert home == tmp_path / "elsewhere"
    assert (home / "dagster.yaml").read_text() == DEFAULT_INSTANCE_CONFIG.read_text()  # missing: membrana's
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\nretention: {}\n")
    prepared_dagster_home(folder)
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\nretention: {}\n"
    assert not (folder.root / "dagster").exists()
