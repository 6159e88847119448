"""The benchmark's report and verdicts on hand-made results: a failed run is shown as failed (and
misses its targets) instead of stopping the benchmark, and sizes measured by an earlier run stay."""

import json
import sys

import pytest

from orchestration.data_folder import PROJECT_ROOT

sys.path.insert(0, str(PROJECT_ROOT / "bench"))
import run_bench


def run(seconds, cpu=None, peak=None, finished=True, error=None):
    figure = {"seconds": seconds, "cpu_seconds": cpu if cpu is not None else seconds, "peak_gb": peak or 1.0,
              "finished": finished, "stages": {"load": 1.0}}
    if error:
        figure["error"] = error
    return figure


def size_result(full, full_1gb, incremental, differences):
    return {
        "contacts": 10_000_000, "years": 2, "raw_mb": 5400.0, "files": 493, "last_export_files": ["a", "b"],
        "measured_at": "2026-11-23 15:00 UTC", "commit": "abc1234", "load_average_at_start": [1.0, 1.0, 1.0],
        "duckdb_script": {**run(60.0), "totals": {}}, "pandas_script": {**run(300.0), "totals": {}},
        "full_build": full, "full_build_1gb": full_1gb, "incremental": incremental,
        "totals": {"rows": 10, "incoming": 5.0, "revenue": 1.0, "acquisition": 2.0} if full["finished"] else None,
        "totals_differences": {"duckdb": [], "pandas": []} if full["finished"] else
        {"duckdb": ["membrana's full build failed"], "pandas": ["membrana's full build failed"]},
        "analyst_query": None, "incremental_vs_full_differences": differences,
    }


def test_a_build_that_meets_every_target_is_judged_met():
    # allowed: 1.5 × 60 + 20 = 110 s; pandas 300 s ≥ 3 × 95 s; nightly ≤ 0.1 × 95 + 15 = 24.5 s
    result = size_result(run(95.0, peak=2.5), run(120.0), run(24.0), {"funnel_daily": 0})
    verdicts = run_bench.verdicts(result)
    assert verdicts["time_vs_duckdb"] == {"allowed_seconds": 110.0, "met": True}
    assert verdicts["speedup_vs_pandas"]["speedup"] == round(300 / 95, 2)
    assert verdicts["incremental"]["allowed_seconds"] == 24.5
    assert all(verdict["met"] for verdict in verdicts.values()), verdicts


def test_each_target_is_missed_by_the_figure_that_misses_it():
    result = size_result(run(111.0, peak=3.1), run(120.0), run(26.2), {"funnel_daily": 2})
    verdicts = run_bench.verdicts(result)
    missed = {name for name, verdict in verdicts.items() if not verdict["met"]}
    # 111 > 110 s; 300 < 3 × 111; 3.1 GB > 3 GB; 26.2 > 0.1 × 111 + 15 = 26.1 s; 2 rows differ
    assert missed == {"time_vs_duckdb", "speedup_vs_pandas", "peak_memory", "incremental", "incremental_equals_full"}


def test_a_failed_build_is_reported_as_failed_and_misses_its_targets():
    failed = run(838.0, finished=False, error="exit 1: dbt build: model stage_velocity errored: Out of Memory")
    result = size_result(failed, run(900.0, finished=False, error="exit 1: out of memory"),
                         run_bench.not_run("the build it would follow failed"), None)
    verdicts = run_bench.verdicts(result)
    assert not any(verdict["met"] for verdict in verdicts.values()), verdicts
    report = "\n".join(run_bench.size_report("large", result))
    assert "failed after 838 s" in report
    assert "model stage_velocity errored: Out of Memory" in report
    assert "| not run |" in report
    assert "abc1234" in report
    summary = "\n".join(run_bench.summary_table({"large": result}))
    assert "| 10,000,000 | 5,400 MB | 60.0 s | 300.0 s | failed after 838 s | — | — |" in summary


def test_sizes_of_an_earlier_run_stay_unless_they_carry_no_commit(tmp_path):
    earlier = tmp_path / "results.json"
    kept = size_result(run(95.0), run(120.0), run(24.0), {"funnel_daily": 0})
    earlier.write_text(json.dumps({
        "sizes": {"large": kept, "medium": {"contacts": 1_000_000}, "bogus": kept},
        "demo": {"commit": "abc1234", "full_build": run(12.0)},
    }))
    found = run_bench.earlier_results(earlier)
    assert list(found["sizes"]) == ["large"]
    assert found["sizes"]["large"]["full_build"]["seconds"] == 95.0
    assert found["demo"]["full_build"]["seconds"] == 12.0


@pytest.mark.parametrize("text", ["", "{not json", json.dumps({"sizes": {}})])
def test_an_unreadable_or_empty_earlier_file_gives_nothing(tmp_path, text):
    earlier = tmp_path / "results.json"
    earlier.write_text(text)
    assert run_bench.earlier_results(earlier) == {"sizes": {}, "demo": None}
