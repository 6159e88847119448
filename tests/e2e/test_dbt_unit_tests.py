"""The dbt unit tests (models' SQL on hand-made input rows, `unit_tests:` in the models' YAML) run here,
not in the nightly build: they test the code, not the night's data. dbt needs the models' parents to
exist to type the fixtures, so they run against a warehouse the nightly job has built."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from orchestration.data_folder import DBT_PROJECT_DIR
from tests.support.membrana import run_dbt


@pytest.fixture(scope="module")
def built(built_demo):
    return built_demo.data_dir


def dbt_unit_tests(data_dir: Path, target: Path, project_dir: Path = DBT_PROJECT_DIR) -> subprocess.CompletedProcess:
    return run_dbt("test", "--resource-type", "unit_test", data_dir=data_dir, target_path=target,
                   project_dir=project_dir, env={"MEMBRANA_LOADED_AFTER": ""})


def test_the_nightly_build_runs_no_unit_test(built):
    results = json.loads((built / "logs" / "dbt" / "run_results.json").read_text())["results"]
    assert results and not [r["unique_id"] for r in results if r["unique_id"].startswith("unit_test.")]


def test_every_unit_test_of_the_project_runs_and_passes(built, tmp_path):
    result = dbt_unit_tests(built, tmp_path / "target")
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    declared = set(manifest["unit_tests"])
    assert len(declared) >= 15  # the marts' unit tests: none may silently disappear
    outcomes = {r["unique_id"]: r["status"]
                for r in json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
                if r["unique_id"].startswith("unit_test.")}  # not the on-run-start hooks
    assert set(outcomes) == declared
    failed = {uid: status for uid, status in outcomes.items() if status != "pass"}
    assert not failed, result.stdout[-3000:]
    assert result.returncode == 0, result.stdout[-3000:]


def test_a_unit_test_whose_expectation_is_wrong_fails(built, tmp_path):
    """The same run on a copy of the project where one expected value is off by one: it must fail."""
    project = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages"))
    velocity = project / "models" / "marts" / "funnel" / "_stage_velocity.yml"
    expected_row = "2024-03-01,tv,2,0.25,0.45,1.5,1.9,4.5,4.9,10,10,4,1000,250"
    assert expected_row in velocity.read_text()
    velocity.write_text(velocity.read_text().replace(expected_row, expected_row.removesuffix("250") + "251"))
    result = dbt_unit_tests(built, tmp_path / "target", project)
    outcomes = {r["unique_id"].split(".")[-1]: r["status"]
                for r in json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]}
    assert result.returncode != 0
    assert outcomes["stage_velocity_takes_median_and_p90_days_per_stage"] == "fail"
    assert [name for name, status in outcomes.items() if status == "fail"] == [
        "stage_velocity_takes_median_and_p90_days_per_stage"]
