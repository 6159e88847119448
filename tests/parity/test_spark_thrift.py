"""The `spark_thrift` target (dbt-spark's thrift method, PyHive) against a Spark Thrift server: the server is an
application of a standalone master and worker started from the installed pyspark package on 127.0.0.1
(tests/support/spark_cluster.py). `dbt build` of the project there, its sources the raw layer's Parquet export
registered as views (macros/register_parquet_sources.sql), builds every mart of the DuckDB night's warehouse,
row for row within rounding, and its data tests end as on the DuckDB night (ANSI mode stays on over Thrift: a bad
cast would fail).

Here dbt is run by hand, as README "Running on Spark" shows for Databricks; tests/parity/
test_spark_thrift_night.py runs whole nights with `MEMBRANA_TARGET=spark_thrift membrana run`.
"""

import json
import shutil

import pytest

from orchestration.build.raw_parquet import export_raw_parquet
from tests.support.membrana import failure, run_dbt, run_membrana
from tests.support.parity import mart_differences, mart_models
from tests.support.spark_cluster import spark_cluster, thrift_server
from tests.support.spark_nights import DEMO_CONTACTS, SPARK_NIGHT_TIMEOUT

pytestmark = pytest.mark.spark

CORE_MARTS = {"funnel_daily", "kpi_monthly", "capacity_plan"}


@pytest.fixture(scope="module")
def built_over_thrift(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark_thrift")
    data_dir = root / "company"
    demo = run_membrana("demo", "--out", data_dir, "--contacts", DEMO_CONTACTS, data_dir=data_dir)
    assert demo.returncode == 0, failure(demo)
    duckdb_night = run_membrana("run", data_dir=data_dir)
    assert duckdb_night.returncode == 0, failure(duckdb_night)
    export_raw_parquet(data_dir / "warehouse.duckdb", data_dir / "raw_parquet")
    with spark_cluster(root / "cluster") as cluster, thrift_server(cluster, root / "thrift") as server:
        build = run_dbt(
            "build", "--exclude-resource-type", "unit_test", "--log-path", root / "target", data_dir=data_dir,
            target_path=root / "target",
            env={"MEMBRANA_TARGET": "spark_thrift", "MEMBRANA_SPARK_HOST": "127.0.0.1",
                 "MEMBRANA_SPARK_PORT": str(server.port), "MEMBRANA_RAW_PARQUET_URI": str(data_dir / "raw_parquet"),
                 "MEMBRANA_LOADED_AFTER": ""},
            timeout=SPARK_NIGHT_TIMEOUT, cwd=data_dir)
    # the tests read the tables' files: the server and the cluster are stopped already
    assert build.returncode == 0, failure(build, tail=6000) + (server.folder / "thrift.log").read_text()[-3000:]
    yield data_dir, root / "target", server
    shutil.rmtree(root / "thrift", ignore_errors=True)


def test_every_mart_built_over_thrift_is_the_duckdb_nights(built_over_thrift):
    data_dir, target, server = built_over_thrift
    marts = mart_models(target / "manifest.json")
    assert CORE_MARTS <= set(marts), f"mart discovery found only {sorted(marts)}"
    for mart in sorted(marts):
        found = mart_differences(data_dir / "warehouse.duckdb", server.folder / "warehouse", mart)
        assert not found, f"{mart} differs between DuckDB and Spark over Thrift: " + "; ".join(found)


def data_test_outcomes(target) -> dict[str, tuple[str, int]]:
    """Each data test of a dbt build (its run_results.json in `target`): its status and failing row count."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {result["unique_id"]: (result["status"], result["failures"])
            for result in results if result["unique_id"].startswith("test.")}


def test_every_data_test_ends_over_thrift_as_on_the_duckdb_night(built_over_thrift):
    """The same tests, each with the same status and count of failing rows (a warning test may warn on both)."""
    data_dir, target, _ = built_over_thrift
    on_duckdb = data_test_outcomes(data_dir / "logs" / "dbt")  # membrana's dbt target (DataFolder.dbt_target)
    assert on_duckdb, "the DuckDB night ran no data test: nothing would be compared"
    assert data_test_outcomes(target) == on_duckdb
