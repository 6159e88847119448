"""The benchmark's split, verdicts and report on hand-made results: every target is met by a figure
within its limit and missed by one beyond it (by how much, computed by hand here), a failed run is shown
as failed (and misses its targets) instead of stopping the benchmark, and sizes measured by an earlier
run stay."""

import json
import sys

import pytest

from orchestration.data_folder import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import run_bench

# A membrana full build's split: 10 + 30 + 100 + 20 + 5 + 5 = 170 s (start-up longer in a slower build).
SPLIT = {"start_up": 10.0, "load": 30.0, "dbt": 100.0, "checks": 20.0, "publish": 5.0, "other": 5.0,
         "before_execution": 9.0, "dagster_outside_steps": 1.0, "after_execution": 5.0}


def run(seconds, cpu=None, peak=None, finished=True, error=None, split=None):
    figure = {"seconds": seconds, "cpu_seconds": cpu if cpu is not None else seconds, "peak_gb": peak or 1.0,
              "finished": finished, "stages": {"load": 1.0}, "split": split}
    if error:
        figure["error"] = error
    return figure


def size_result(size="large", full=None, plain=None, incremental=None, nothing_new=None, differences=None,
                totals_differences=None):
    full = full or run(170.0, peak=2.5, split=SPLIT)
    return {
        "schema": run_bench.RESULTS_SCHEMA, "contacts": run_bench.SIZES[size], "years": 2, "raw_mb": 5400.0,
        "files": 493, "last_export_files": ["a", "b"],
        "measured_at": "2026-11-23 15:00 UTC", "commit": "abc1234", "load_average_at_start": [1.0, 1.0, 1.0],
        "duckdb_script": {**run(60.0), "totals": {}}, "pandas_script": {**run(300.0), "totals": {}},
        "full_build": full, "plain_dbt_build": plain or run(120.0),
        "full_build_1gb": run(180.0, split=SPLIT), "incremental": incremental or run(21.0, split=SPLIT),
        "nothing_new": nothing_new or run(2.5, split=SPLIT),
        "totals": {"rows": 10, "incoming": 5.0, "revenue": 1.0, "acquisition": 2.0} if full["finished"] else None,
        "totals_differences": totals_differences or {"duckdb": [], "pandas": []},
        "analyst_query": None,
        "incremental_vs_full_differences": {"funnel_daily": 0, "kpi_monthly": 0} if differences is None
        else differences,
    }


# ---------------------------------------------------------------- the split


def test_the_split_adds_up_to_the_wall_and_names_each_step_kind():
    steps = {"config__plan": 0.5, "raw__contacts": 2.0, "membrana_dbt_models": 20.0,
             "marts__funnel_daily_funnel_daily_meets_its_expectations": 3.0,
             "marts__funnel_daily_sources_are_fresh": 0.5, "published_marts": 1.0, "dashboard": 0.5,
             "a_step_nobody_named": 0.25}  # the steps: 27.75 s
    checks = {"marts__funnel_daily_funnel_daily_meets_its_expectations", "marts__funnel_daily_sources_are_fresh"}
    # the execution took 29 s and ended 37 s after the process started; the process took 40 s
    timings = {"total_seconds": 29.0, "steps": steps, "written_after": 37.0}
    parts = run_bench.split(timings, 40.0, checks)
    assert parts == {
        "start_up": 9.25,  # 37 − 29 = 8 s before the execution + 29 − 27.75 = 1.25 s of Dagster outside steps
        "load": 2.5, "dbt": 20.0, "checks": 3.5, "publish": 1.5,
        "other": 3.25,  # 40 − 37 = 3 s after the execution + the 0.25 s step nobody named
        "before_execution": 8.0, "dagster_outside_steps": 1.25, "after_execution": 3.0,
    }
    assert sum(parts[name] for name in run_bench.SPLIT) == 40.0
    assert run_bench.split(None, 40.0, checks) is None


def test_the_check_steps_and_timings_are_read_from_the_runs_logs(tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "run_report.json").write_text(json.dumps({"check_results": [
        {"asset": "marts/funnel_daily", "check": "funnel_daily_meets_its_expectations", "kind": "expectations"},
        {"asset": "staging/stg_crm__leads", "check": "unique_stg_crm__leads_lead_id", "kind": "dbt_test"},
    ]}))
    (logs / "last_run_timings.json").write_text(json.dumps({"total_seconds": 29.0, "steps": {"raw__leads": 1.0}}))
    assert run_bench.check_steps(tmp_path, started=0) == {
        "marts__funnel_daily_funnel_daily_meets_its_expectations", "staging__stg_crm__leads_unique_stg_crm__leads_lead_id"}
    timings = run_bench.run_timings(tmp_path, started=0)
    assert timings["steps"] == {"raw__leads": 1.0} and timings["written_after"] > 0
    # files an earlier run left are not this run's
    later = (logs / "run_report.json").stat().st_mtime + 60
    assert run_bench.check_steps(tmp_path, started=later) == set()
    assert run_bench.run_timings(tmp_path, started=later) is None


# ---------------------------------------------------------------- verdicts, met and missed


def test_a_large_build_that_meets_every_target_is_judged_met_with_what_it_spares():
    verdicts = run_bench.verdicts(size_result("large"))
    # plain dbt 120 + load 30 + checks 20 + 5 = 175 s allowed, full build 170 s
    assert verdicts["full_vs_plain_dbt"] == {"met": True, "figure": 170.0, "allowed": 175.0, "over": -5.0,
                                             "unit": "s"}
    assert verdicts["full_vs_duckdb"]["allowed"] == 180.0 and verdicts["full_vs_duckdb"]["over"] == -10.0  # 3 × 60
    assert verdicts["one_more_export"]["allowed"] == 22.0 and verdicts["one_more_export"]["over"] == -1.0  # 17 + 5
    assert verdicts["peak_memory"]["over"] == -0.5
    assert "nothing_new" not in verdicts  # judged at 1 M only
    assert all(verdict["met"] for verdict in verdicts.values()), verdicts
    assert run_bench.verdict_text(verdicts["full_vs_plain_dbt"]) == "met, 5.0 s to spare"


def test_a_large_build_misses_each_target_by_the_figure_beyond_it():
    slow = run(190.0, peak=3.1, split={**SPLIT, "start_up": 30.0})
    result = size_result("large", full=slow, incremental=run(25.0), differences={"funnel_daily": 2},
                         totals_differences={"duckdb": ["revenue: membrana 1.00, reference 2.00"], "pandas": []})
    verdicts = run_bench.verdicts(result)
    assert not any(verdict["met"] for verdict in verdicts.values()), verdicts
    assert verdicts["full_vs_plain_dbt"]["over"] == 15.0  # 190 − (120 + 30 + 20 + 5)
    assert verdicts["full_vs_duckdb"]["over"] == 10.0  # 190 − 3 × 60
    assert verdicts["one_more_export"]["over"] == 1.0  # 25 − (0.1 × 190 + 5)
    assert verdicts["peak_memory"]["over"] == 0.1
    assert run_bench.verdict_text(verdicts["full_vs_plain_dbt"]) == "**missed** by 15.0 s"
    assert run_bench.verdict_text(verdicts["peak_memory"]) == "**missed** by 0.10 GB"
    report = "\n".join(run_bench.size_report("large", result))
    assert ("| full build ≤ plain dbt build + load + checks + 5 s | 190.0 s vs 175.0 s (plain dbt build 120.0 s "
            "+ load 30.0 s + checks 20.0 s + 5 s) | **missed** by 15.0 s |") in report
    assert "| full build ≤ 3 × DuckDB script | 190.0 s vs 180.0 s (3 × 60.0 s) | **missed** by 10.0 s |" in report
    assert "rows differing: {'funnel_daily': 2}" in report
    assert "Totals that differ: duckdb: revenue" in report


@pytest.mark.parametrize(("seconds", "met", "text"), [(2.5, True, "met, 0.50 s to spare"),
                                                      (3.4, False, "**missed** by 0.40 s")])
def test_a_night_with_nothing_new_is_judged_at_1_m(seconds, met, text):
    verdicts = run_bench.verdicts(size_result("medium", nothing_new=run(seconds)))
    assert verdicts["nothing_new"]["met"] is met
    assert run_bench.verdict_text(verdicts["nothing_new"]) == text


@pytest.mark.parametrize(("seconds", "met", "over"), [(24.0, True, -1.0), (26.0, False, 1.0)])
def test_a_night_with_one_more_export_is_judged_at_1_m(seconds, met, over):
    full = run(200.0, split=SPLIT)  # 0.1 × 200 + 5 = 25 s allowed
    verdicts = run_bench.verdicts(size_result("medium", full=full, incremental=run(seconds)))
    assert verdicts["one_more_export"] == {"met": met, "figure": seconds, "allowed": 25.0, "over": over, "unit": "s"}
    assert "full_vs_duckdb" not in verdicts  # judged at 10 M only


def test_a_small_size_is_judged_on_the_plain_dbt_build_and_its_correctness_only():
    verdicts = run_bench.verdicts(size_result("small", nothing_new=run(30.0), incremental=run(100.0)))
    assert set(verdicts) == {"full_vs_plain_dbt", "peak_memory", "incremental_equals_full", "totals_agree"}


@pytest.mark.parametrize(("full", "nothing_new", "met", "texts"), [
    (14.0, 2.9, True, ("met, 1.0 s to spare", "met, 0.10 s to spare")),
    (16.0, 3.5, False, ("**missed** by 1.0 s", "**missed** by 0.50 s")),
])
def test_the_demo_is_judged_on_its_full_build_and_a_night_with_nothing_new(full, nothing_new, met, texts):
    demo = {"measured_at": "2026-11-23 15:00 UTC", "commit": "abc1234", "full_build": run(full, split=SPLIT),
            "nothing_new": run(nothing_new, split=SPLIT), "one_new_day": run(8.0, split=SPLIT)}
    verdicts = run_bench.demo_verdicts(demo)
    assert [verdicts["full_build"]["met"], verdicts["nothing_new"]["met"]] == [met, met]
    assert (run_bench.verdict_text(verdicts["full_build"]), run_bench.verdict_text(verdicts["nothing_new"])) == texts
    report = "\n".join(run_bench.demo_report(demo))
    assert (f"| full build from empty | {full:.1f} s | {full:.1f} s | 1.00 GB | 10.0 s | 30.0 s | 100.0 s | 20.0 s "
            f"| 5.0 s | 5.0 s | demo full build from empty ≤ 15 s | {texts[0]} |") in report
    assert "| nightly run after one more export | 8.0 s |" in report


# ---------------------------------------------------------------- failures and the report


def test_a_failed_build_is_reported_as_failed_and_misses_its_targets():
    failed = run(838.0, finished=False, error="exit 1: dbt build: model stage_velocity errored: Out of Memory")
    result = size_result("large", full=failed, plain=run_bench.not_run("membrana's full build failed"),
                         incremental=run_bench.not_run("the build it would follow failed"),
                         nothing_new=run_bench.not_run("the run it would follow failed"), differences=None)
    result["incremental_vs_full_differences"] = None
    result["totals_differences"] = {"duckdb": ["membrana's full build failed"], "pandas": ["membrana's full build failed"]}
    verdicts = run_bench.verdicts(result)
    assert not any(verdict["met"] for verdict in verdicts.values()), verdicts
    assert run_bench.verdict_text(verdicts["full_vs_plain_dbt"]) == "**missed** (not measured)"
    report = "\n".join(run_bench.size_report("large", result))
    assert "failed after 838 s" in report
    assert "model stage_velocity errored: Out of Memory" in report
    assert "| not run |" in report
    assert "abc1234" in report
    summary = "\n".join(run_bench.summary_table({"large": result}))
    assert "| 10,000,000 | 5,400 MB | 60.0 s | 300.0 s | not run | failed after 838 s | — | — |" in summary


def test_the_report_shows_the_plain_dbt_build_and_the_split_of_every_size():
    results = {"machine": {"cpu": "cpu", "cores": 2, "memory_gb": 8.0, "os": "Linux", "python": "3.11",
                           "duckdb": "1", "dbt_core": "1", "dagster": "1", "pandas": "1",
                           "load_average_at_start": [1.0, 1.0, 1.0]},
               "finished_at": "2026-11-23 16:00 UTC",
               "sizes": {"large": size_result("large"), "medium": size_result("medium")}}
    report = run_bench.report(results)
    # full 170 s against plain dbt 120 s: 1.42×; against the DuckDB script's 60 s: 2.83×
    assert ("| 10,000,000 | 5,400 MB | 60.0 s | 300.0 s | 120.0 s | 170.0 s | 1.42× | 2.83× | 2.50 GB | 21.0 s "
            "| 2.5 s |") in report
    # 170 − 120 − 30 − 20 = 0 s beyond the work
    assert "| 10,000,000 | 170.0 s | 10.0 s | 30.0 s | 100.0 s | 20.0 s | 5.0 s | 5.0 s | 120.0 s | 0.0 s |" in report
    assert ("| membrana full build from empty | 170.0 s | 10.0 s | 30.0 s | 100.0 s | 20.0 s | 5.0 s | 5.0 s |"
            in report)
    assert "| plain dbt build (same project, same loaded warehouse, parsing from scratch) | 120.0 s |" in report
    assert "| start-up: before Dagster's execution (interpreter, imports, definitions) | 9.00 |" in report
    assert "## Growth" in report


def test_sizes_of_an_earlier_run_stay_unless_they_carry_no_commit_or_an_older_schema(tmp_path):
    earlier = tmp_path / "results.json"
    kept = size_result("large")
    older = {key: value for key, value in size_result("small").items() if key != "schema"}
    earlier.write_text(json.dumps({
        "sizes": {"large": kept, "medium": {"contacts": 1_000_000}, "small": older, "bogus": kept},
        "demo": {"schema": run_bench.RESULTS_SCHEMA, "commit": "abc1234", "full_build": run(12.0)},
    }))
    found = run_bench.earlier_results(earlier)
    assert list(found["sizes"]) == ["large"]
    assert found["sizes"]["large"]["full_build"]["seconds"] == 170.0
    assert found["demo"]["full_build"]["seconds"] == 12.0


def test_a_demo_of_an_older_schema_is_left_out(tmp_path):
    earlier = tmp_path / "results.json"
    earlier.write_text(json.dumps({"sizes": {}, "demo": {"commit": "abc1234", "full_build": run(12.0)}}))
    assert run_bench.earlier_results(earlier) == {"sizes": {}, "demo": None}


@pytest.mark.parametrize("text", ["", "{not json", json.dumps({"sizes": {}})])
def test_an_unreadable_or_empty_earlier_file_gives_nothing(tmp_path, text):
    earlier = tmp_path / "results.json"
    earlier.write_text(text)
    assert run_bench.earlier_results(earlier) == {"sizes": {}, "demo": None}
