"""`MEMBRANA_TARGET=spark MEMBRANA_SPARK_MASTER=spark://…` against a real standalone cluster: a master and one
worker (1 core, 1 GB) started from the installed pyspark package on 127.0.0.1 (tests/support/spark_cluster.py).
The `membrana run` process is the driver; the worker's executor runs the night's queries and reads and writes
the data folder itself (same machine). The company's two nights (tests/support/spark_nights.py) publish, each,
the snapshot the same nights publish on DuckDB.
"""

import shutil
import time

import pytest

from orchestration.publish.snapshot import PUBLIC_MARTS
from tests.support.published import snapshot_differences
from tests.support.spark_cluster import spark_cluster
from tests.support.spark_nights import two_nights_on_both

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def nights_on_a_cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark_cluster")
    with spark_cluster(root / "cluster") as cluster:
        _, on_spark, nights = two_nights_on_both(root, MEMBRANA_SPARK_MASTER=cluster.master_url)
        yield cluster, nights
    shutil.rmtree(on_spark / "spark", ignore_errors=True)


def finished_applications(cluster, expected: int) -> list[dict]:
    """The master's finished applications, once it has seen `expected` drivers go (a few seconds at most)."""
    deadline = time.monotonic() + 60
    while len(finished := cluster.state()["completedapps"]) < expected and time.monotonic() < deadline:
        time.sleep(1)
    return finished


def test_each_night_ran_its_queries_on_the_cluster(nights_on_a_cluster):
    """One application per Spark night, each given the worker's core: not Spark inside the process."""
    cluster, _ = nights_on_a_cluster
    finished = finished_applications(cluster, 2)
    assert [app["cores"] for app in finished] == [1, 1], finished
    executor_logs = sorted((cluster.folder / "work").glob("app-*/*/stderr"))
    assert len(executor_logs) == 2, f"{executor_logs}\n{cluster.logs()}"


@pytest.mark.parametrize("night", [1, 2])
def test_each_night_on_the_cluster_publishes_the_snapshot_of_the_duckdb_night(nights_on_a_cluster, night):
    _, nights = nights_on_a_cluster
    expected, published = nights[night - 1].on_duckdb, nights[night - 1].on_spark
    assert {f"marts.{mart}" for mart in PUBLIC_MARTS} | {"audit.quarantine"} <= set(expected)
    assert all(rows for _, rows in expected.values()), "an empty table on DuckDB: nothing would be compared"
    assert snapshot_differences(expected, published) == []
    if night == 2:
        assert snapshot_differences(nights[0].on_spark, published) != [], "the second night published nothing new"
