"""Parity: the demo company built on DuckDB (`membrana run`) and on Spark (the same dbt project, target
`spark`, raw data read from the Parquet export) gives the same marts, row for row, within rounding.

Every model of the `marts` schema is compared, discovered from the Spark run's manifest, so a new mart
is covered without touching this file. One DuckDB run (the whole nightly job) and one Spark run of
the marts and everything upstream of them per module.
"""

import shutil
import subprocess
from pathlib import Path

import pytest

from orchestration.build.raw_parquet import export_raw_parquet
from tests.support.membrana import run_dbt, run_membrana
from tests.support.parity import aligned_rows, differences, mart_differences, mart_models, spark_rows

CORE_MARTS = {"funnel_daily", "kpi_monthly", "capacity_plan"}


def run_dbt_on_spark(data_dir: Path, *args: str, loaded_after: str = "") -> subprocess.CompletedProcess:
    # Two threads (the profile has one): most of a Spark model's time is the driver's per-query latency, which
    # two threads overlap (the module took 254 s instead of 307 s beside another test worker)
    return run_dbt(
        *args, "--threads", "2", "--log-path", data_dir / "spark" / "logs", data_dir=data_dir,
        target_path=data_dir / "spark" / "target",
        env={"MEMBRANA_LOADED_AFTER": loaded_after, "MEMBRANA_TARGET": "spark", "SPARK_LOCAL_IP": "127.0.0.1",
             "MEMBRANA_RAW_PARQUET_URI": None},
        timeout=900, cwd=data_dir,
    )


@pytest.fixture(scope="module")
def built_on_both(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("parity")
    # A tenth of the demo's contacts over the same year: every channel, rule and edge row is still there,
    # and Spark's time goes to per-query overhead, not to data.
    demo = run_membrana("demo", "--out", data_dir, "--contacts", "3000", data_dir=data_dir)
    assert demo.returncode == 0, demo.stderr
    duck = run_membrana("run", data_dir=data_dir)
    assert duck.returncode == 0, duck.stdout + duck.stderr
    export_raw_parquet(data_dir / "warehouse.duckdb", data_dir / "raw_parquet")
    spark = run_dbt_on_spark(data_dir, "run", "--select", "+config.schema:marts")
    assert spark.returncode == 0, spark.stdout[-4000:] + spark.stderr[-2000:]
    yield data_dir
    shutil.rmtree(data_dir / "spark", ignore_errors=True)


def test_every_mart_is_the_same_on_duckdb_and_spark(built_on_both):
    data_dir = built_on_both
    marts = mart_models(data_dir / "spark" / "target" / "manifest.json")
    assert CORE_MARTS <= set(marts), f"mart discovery found only {sorted(marts)}"
    not_tables = {mart: kind for mart, kind in marts.items() if kind not in ("table", "incremental")}
    assert not not_tables, f"marts must be tables to be compared: {not_tables}"
    for mart in sorted(marts):
        found = mart_differences(data_dir / "warehouse.duckdb", data_dir / "spark" / "warehouse", mart)
        assert not found, f"{mart} differs between DuckDB and Spark: " + "; ".join(found)


def test_incremental_run_on_spark_replaces_the_touched_days(built_on_both):
    """A nightly run on Spark drops the partitions of the touched days (here every day: everything was
    loaded after 1900) and writes them again by insert_overwrite: same rows as the full build, one
    partition folder per day."""
    data_dir = built_on_both
    spark_warehouse = data_dir / "spark" / "warehouse"
    columns, before = spark_rows(spark_warehouse, "funnel_daily")
    # The rebuild plan's tables must be rebuilt with the new watermark, as a nightly run does.
    rerun = run_dbt_on_spark(data_dir, "run", "--select", "int_changed_record_versions",
                             "int_funnel_days_to_rebuild", "funnel_daily", loaded_after="1900-01-01 00:00:00")
    assert rerun.returncode == 0, rerun.stdout[-4000:] + rerun.stderr[-2000:]
    log = (data_dir / "spark" / "logs" / "dbt.log").read_text().lower()
    assert "drop if exists partition" in log and "insert overwrite table" in log
    after_columns, after = spark_rows(spark_warehouse, "funnel_daily")
    assert not differences(columns, aligned_rows(columns, before, columns),
                           aligned_rows(after_columns, after, columns))
    days = [path.name for path in (spark_warehouse / "marts.db" / "funnel_daily").iterdir() if path.is_dir()]
    assert len(days) == len({row[columns.index("date")] for row in before})
