"""`make bench` at its smallest size, as CI runs it: the harness works end to end and its cross-checks
hold. No time is asserted (a shared CI machine makes timings meaningless)."""

import json

import pytest

from orchestration.data_folder import PROJECT_ROOT
from tests.support.membrana import run_python


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    result = run_python(PROJECT_ROOT / "bench" / "run_bench.py", "--sizes", "tiny", "--no-demo",
                        "--work", out / "work", "--report", out / "BENCHMARKS.md", "--json", out / "results.json",
                        timeout=1200)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return json.loads((out / "results.json").read_text()), (out / "BENCHMARKS.md").read_text()


def test_membrana_and_both_references_give_the_same_funnel_totals(bench):
    results, _ = bench
    tiny = results["sizes"]["tiny"]
    assert all(tiny[run]["finished"] for run in ("full_build", "full_build_1gb", "incremental")), tiny
    assert tiny["duckdb_script"]["finished"] and tiny["pandas_script"]["finished"]
    assert tiny["totals_differences"] == {"duckdb": [], "pandas": []}
    assert tiny["totals"]["incoming"] == tiny["duckdb_script"]["totals"]["incoming"] > 0


def test_the_nightly_run_after_one_export_equals_the_full_build(bench):
    results, _ = bench
    differences = results["sizes"]["tiny"]["incremental_vs_full_differences"]
    assert set(differences) >= {"funnel_daily", "kpi_monthly"}
    assert not any(differences.values()), differences


def test_the_report_times_every_dbt_model_and_the_stages(bench):
    results, report = bench
    full = results["sizes"]["tiny"]["full_build"]["stages"]
    models = {name.removeprefix("dbt model ") for name in full if name.startswith("dbt model ")}
    assert {"funnel_daily", "kpi_monthly", "capacity_plan"} <= models
    assert {"load", "publish"} <= set(full) and any(name.startswith("checks (") for name in full)
    for model in models:
        assert f"| dbt model {model} |" in report
    assert results["sizes"]["tiny"]["analyst_query"]["during_run"]["queries"] > 0
