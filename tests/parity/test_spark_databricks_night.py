"""`MEMBRANA_TARGET=databricks membrana run`: the whole night over Thrift on HTTPS, as dbt-spark's http method and
membrana connect to a Databricks cluster (the workspace's host and port, /sql/protocolv1/o/<org>/<cluster>, the
token as a password). No Databricks here: its stand-in is a Spark Thrift server of a standalone cluster on
127.0.0.1 speaking HTTPS on that path (tests/support/spark_cluster.py), with a self-signed certificate this
test's runs trust (SSL_CERT_FILE). The two nights of tests/parity/test_spark_night.py's company publish, each,
the snapshot the DuckDB night publishes, and the second is incremental.

`make spark-cluster` runs it, `make test` leaves it out."""

import re

import pytest

from tests.support.published import snapshot_differences
from tests.support.spark_cluster import DATABRICKS_CLUSTER, DATABRICKS_ORG, spark_cluster, thrift_server
from tests.support.spark_nights import two_nights_on_both

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    root = tmp_path_factory.mktemp("databricks_nights")
    with spark_cluster(root / "cluster") as cluster, \
            thrift_server(cluster, root / "thrift", over_https=True) as server:
        _, _, nights = two_nights_on_both(
            root, MEMBRANA_TARGET="databricks", DATABRICKS_HOST="127.0.0.1", DATABRICKS_PORT=str(server.port),
            DATABRICKS_ORG_ID=DATABRICKS_ORG, DATABRICKS_CLUSTER_ID=DATABRICKS_CLUSTER,
            DATABRICKS_TOKEN="not-checked", SSL_CERT_FILE=str(server.certificate))
    return nights


@pytest.mark.parametrize("night", [1, 2])
def test_each_databricks_night_publishes_the_snapshot_of_the_duckdb_night(two_nights, night):
    expected, published = two_nights[night - 1].on_duckdb, two_nights[night - 1].on_spark
    assert all(rows for _, rows in expected.values()), "an empty table on DuckDB: nothing would be compared"
    assert snapshot_differences(expected, published, ("DuckDB", "Spark over HTTPS")) == []


def test_the_second_databricks_night_is_incremental(two_nights):
    first, second = two_nights[0].spark_run_log, two_nights[1].spark_run_log
    assert "dbt build: full refresh (first build)" in first
    assert re.search(r"^dbt build: incremental \(rows loaded after ", second, re.MULTILINE), second[:3000]
    rewritten = re.search(r"^funnel_daily on Spark: (\d+) of (\d+) day partitions rewritten", second, re.MULTILINE)
    assert rewritten and 0 < int(rewritten[1]) < int(rewritten[2]), second[-3000:]
