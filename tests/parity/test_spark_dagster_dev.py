"""`MEMBRANA_TARGET=spark make dev`: the nightly job launched from the Dagster UI, as a person launches it,
runs the whole night on Spark (a run worker of `dagster dev`, not `membrana run`) and publishes the snapshot a
DuckDB night publishes from the same files: every table, column, type and row (floating columns within 1e-6).

A small generated company (400 contacts): the UI, the run worker and one Spark session take most of the time.
About 4 minutes alone; `make spark-dev` runs it, `make test` leaves it out (pyproject.toml's addopts)."""

import shutil

import duckdb
import pytest

from orchestration.data_folder import DataFolder
from orchestration.demo.company import generate_company
from tests.support.dagster_dev import DagsterDev
from tests.support.membrana import run_ok
from tests.support.published import snapshot_differences, snapshot_tables
from tests.support.spark_nights import SPARK, SPARK_NIGHT_TIMEOUT


def duckdb_schemas(folder: DataFolder) -> set[str]:
    with duckdb.connect(str(folder.warehouse), read_only=True) as con:
        return {schema for (schema,) in con.execute(
            "select distinct table_schema from information_schema.tables").fetchall()}


pytestmark = [pytest.mark.spark,
              pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")]


def test_a_night_launched_from_make_dev_on_spark_publishes_the_duckdb_night_s_snapshot(tmp_path):
    on_duckdb, on_spark = DataFolder(tmp_path / "duckdb"), DataFolder(tmp_path / "spark")
    generate_company(on_duckdb.root, contacts=400)
    shutil.copytree(on_duckdb.root, on_spark.root)
    run_ok(on_duckdb.root)

    dev = DagsterDev(on_spark, tmp_path / "dev.trace", traced=False, environment=SPARK)
    try:
        dev.wait_until_loaded()
        status, errors = dev.finished_run(dev.launch_nightly_job(), timeout=SPARK_NIGHT_TIMEOUT)
    finally:
        dev.stop()

    assert status == "SUCCESS", f"{errors}\n{dev.output()[-3000:]}"
    assert (on_spark.root / "spark" / "warehouse" / "marts.db" / "funnel_daily").is_dir()  # built on Spark
    assert duckdb_schemas(on_spark) & {"staging", "marts"} == set()  # the warehouse holds the loader's only
    assert snapshot_differences(snapshot_tables(on_duckdb.root), snapshot_tables(on_spark.root)) == []
