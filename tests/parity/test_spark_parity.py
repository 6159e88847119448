"""Parity: the demo company built on DuckDB (`membrana run`) and on Spark (the same dbt project, target
`spark`, raw data read from the Parquet export) gives the same marts, row for row, within rounding.

Every model of the `marts` schema is compared, discovered from the Spark runs' manifest, so a new mart
is covered without touching this file. One DuckDB run (the whole nightly job) per module, and one Spark
process for both Spark runs: the build of the marts and everything upstream of them, then an incremental
run of funnel_daily (one JVM started, not two). The marts as the build left them are kept for the comparison.
"""

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestration.build.raw_parquet import export_raw_parquet
from tests.support.membrana import (
    DbtInvocations,
    dbt_project_args,
    failure,
    run_dbt_invocations,
    run_membrana,
)
from tests.support.parity import aligned_rows, differences, mart_differences, mart_models, spark_rows

CORE_MARTS = {"funnel_daily", "kpi_monthly", "capacity_plan"}
INCREMENTAL_WATERMARK = "1900-01-01 00:00:00"  # everything was loaded after it: every day is touched


@dataclass
class BuiltOnBoth:
    data_dir: Path
    spark_runs: DbtInvocations

    @property
    def spark(self) -> Path:
        return self.data_dir / "spark"

    @property
    def built_marts(self) -> Path:
        """A Spark warehouse folder with the marts as the full build left them (before the incremental run)."""
        return self.spark / "built"


def spark_invocation(name: str, data_dir: Path, *args: str, log_path: Path, loaded_after: str = "") -> dict:
    # Two threads (the profile has one): most of a Spark model's time is the driver's per-query latency, which
    # two threads overlap (the module took 254 s instead of 307 s beside another test worker)
    return {"name": name, "env": {"MEMBRANA_LOADED_AFTER": loaded_after},
            "args": [*args, "--threads", "2", "--log-path", log_path,
                     *dbt_project_args(data_dir / "spark" / "target")]}


@pytest.fixture(scope="module")
def built_on_both(tmp_path_factory) -> BuiltOnBoth:
    data_dir = tmp_path_factory.mktemp("parity")
    # A tenth of the demo's contacts over the same year: every channel, rule and edge row is still there,
    # and Spark's time goes to per-query overhead, not to data.
    demo = run_membrana("demo", "--out", data_dir, "--contacts", "3000", data_dir=data_dir)
    assert demo.returncode == 0, demo.stderr
    duck = run_membrana("run", data_dir=data_dir)
    assert duck.returncode == 0, duck.stdout + duck.stderr
    export_raw_parquet(data_dir / "warehouse.duckdb", data_dir / "raw_parquet")
    spark = data_dir / "spark"
    steps = [
        spark_invocation("build", data_dir, "run", "--select", "+config.schema:marts", log_path=spark / "logs"),
        {"copy": spark / "warehouse" / "marts.db", "to": spark / "built" / "marts.db"},
        # The rebuild plan's tables must be rebuilt with the new watermark, as a nightly run does. Its own
        # log folder: the log read by the test is this run's alone.
        spark_invocation("incremental", data_dir, "run", "--select", "int_changed_record_versions",
                         "int_funnel_days_to_rebuild", "funnel_daily", log_path=spark / "incremental_logs",
                         loaded_after=INCREMENTAL_WATERMARK),
    ]
    spark_runs = run_dbt_invocations(
        steps, data_dir=data_dir, timeout=1800, cwd=data_dir,
        env={"MEMBRANA_TARGET": "spark", "SPARK_LOCAL_IP": "127.0.0.1", "MEMBRANA_RAW_PARQUET_URI": None})
    # Only the build is the module's to pass: the incremental run's outcome is its own test's.
    assert spark_runs.succeeded.get("build"), failure(spark_runs.process, 4000)
    yield BuiltOnBoth(data_dir, spark_runs)
    shutil.rmtree(spark, ignore_errors=True)


def test_every_mart_is_the_same_on_duckdb_and_spark(built_on_both):
    marts = mart_models(built_on_both.spark / "target" / "manifest.json")
    assert CORE_MARTS <= set(marts), f"mart discovery found only {sorted(marts)}"
    not_tables = {mart: kind for mart, kind in marts.items() if kind not in ("table", "incremental")}
    assert not not_tables, f"marts must be tables to be compared: {not_tables}"
    for mart in sorted(marts):
        found = mart_differences(built_on_both.data_dir / "warehouse.duckdb", built_on_both.built_marts, mart)
        assert not found, f"{mart} differs between DuckDB and Spark: " + "; ".join(found)


def test_incremental_run_on_spark_replaces_the_touched_days(built_on_both):
    """A nightly run on Spark drops the partitions of the touched days (here every day: everything was
    loaded after 1900) and writes them again by insert_overwrite: same rows as the full build, one
    partition folder per day."""
    assert built_on_both.spark_runs.succeeded.get("incremental"), failure(built_on_both.spark_runs.process, 4000)
    log = (built_on_both.spark / "incremental_logs" / "dbt.log").read_text().lower()
    assert "drop if exists partition" in log and "insert overwrite table" in log
    columns, before = spark_rows(built_on_both.built_marts, "funnel_daily")
    spark_warehouse = built_on_both.spark / "warehouse"
    after_columns, after = spark_rows(spark_warehouse, "funnel_daily")
    assert not differences(columns, aligned_rows(columns, before, columns),
                           aligned_rows(after_columns, after, columns), sides=("the build", "the incremental run"))
    days = [path.name for path in (spark_warehouse / "marts.db" / "funnel_daily").iterdir() if path.is_dir()]
    assert len(days) == len({row[columns.index("date")] for row in before})
