"""`MEMBRANA_TARGET=spark_thrift membrana run` and `MEMBRANA_TARGET=databricks membrana run`: the whole night with
dbt, the quality gates and the publish on a Spark Thrift server (an application of a standalone master and worker
started from the installed pyspark package on 127.0.0.1, tests/support/spark_cluster.py), two nights of the
company of tests/parity/test_spark_night.py: each publishes the snapshot the DuckDB night publishes, and the
second is incremental.

`spark_thrift` speaks Thrift's binary protocol with the profile's host, port and user. `databricks` speaks it
over HTTPS, as dbt-spark's http method and membrana connect to a Databricks cluster (the workspace's host and
port, /sql/protocolv1/o/<org>/<cluster>, the token as a password). No Databricks here: its stand-in is the same
server speaking HTTPS on that path, with a self-signed certificate these runs trust (SSL_CERT_FILE).

The server reads the raw layer's Parquet export and writes the published marts in the data folder (one
machine: the paths are shared). `make spark-cluster` runs it, `make test` leaves it out."""

import re

import pytest

from tests.support.published import snapshot_differences
from tests.support.spark_cluster import (
    DATABRICKS_CLUSTER,
    DATABRICKS_ORG,
    ThriftServer,
    spark_cluster,
    thrift_server,
)
from tests.support.spark_nights import two_nights_on_both

pytestmark = pytest.mark.spark


def target_environment(target: str, server: ThriftServer) -> dict[str, str]:
    if target == "databricks":
        return {"MEMBRANA_TARGET": "databricks", "DATABRICKS_HOST": "127.0.0.1", "DATABRICKS_PORT": str(server.port),
                "DATABRICKS_ORG_ID": DATABRICKS_ORG, "DATABRICKS_CLUSTER_ID": DATABRICKS_CLUSTER,
                "DATABRICKS_TOKEN": "not-checked", "SSL_CERT_FILE": str(server.certificate)}
    return {"MEMBRANA_TARGET": "spark_thrift", "MEMBRANA_SPARK_HOST": "127.0.0.1",
            "MEMBRANA_SPARK_PORT": str(server.port)}


@pytest.fixture(scope="module", params=["spark_thrift", "databricks"])
def two_nights(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"{request.param}_nights")
    with spark_cluster(root / "cluster") as cluster, \
            thrift_server(cluster, root / "thrift", over_https=request.param == "databricks") as server:
        _, _, nights = two_nights_on_both(root, **target_environment(request.param, server))
    return nights


@pytest.mark.parametrize("night", [1, 2])
def test_each_night_over_thrift_publishes_the_snapshot_of_the_duckdb_night(two_nights, night):
    expected, published = two_nights[night - 1].on_duckdb, two_nights[night - 1].on_spark
    assert all(rows for _, rows in expected.values()), "an empty table on DuckDB: nothing would be compared"
    assert snapshot_differences(expected, published, ("DuckDB", "Spark over Thrift")) == []


def test_the_second_night_over_thrift_is_incremental(two_nights):
    first, second = two_nights[0].spark_run_log, two_nights[1].spark_run_log
    assert "dbt build: full refresh (first build)" in first
    assert re.search(r"^dbt build: incremental \(rows loaded after ", second, re.MULTILINE), second[:3000]
    rewritten = re.search(r"^funnel_daily on Spark: (\d+) of (\d+) day partitions rewritten", second, re.MULTILINE)
    assert rewritten and 0 < int(rewritten[1]) < int(rewritten[2]), second[-3000:]
