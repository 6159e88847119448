"""`MEMBRANA_TARGET=spark membrana run`: the whole night with dbt on Spark (landing → raw in DuckDB → raw as
Parquet → dbt build and tests on Spark → quality gates on Spark → publish → dashboard) publishes the snapshot a
DuckDB night publishes from the same exports, night after night: every table of published/membrana.duckdb with
the same columns in the same order, the same types and the same rows (floating columns within 1e-6). A blocking
check that fails on Spark leaves the snapshot as it was, byte for byte.

One generated company (the demo at a tenth of its contacts, its last weekly CRM export held back to the second
night) run two nights in two data folders, one on DuckDB, one on Spark inside the `membrana run` process
(local[2]; tests/parity/test_spark_cluster.py runs the same nights on a standalone cluster).
"""

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.publish.snapshot import PUBLIC_MARTS
from tests.support.membrana import failure
from tests.support.published import published_files, snapshot_differences
from tests.support.spark_nights import run_on_spark, two_nights_on_both

# 4:48 alone on 2 cores, most of it the two Spark nights (about 2 minutes the first, 1.5 the second: Spark's time
# is per query, not per row). CI runs it after `make test` (make spark-ci), beside the same nights on a cluster.
pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory):
    on_duckdb, on_spark, nights = two_nights_on_both(tmp_path_factory.mktemp("spark_night"))
    yield on_duckdb, on_spark, nights
    shutil.rmtree(on_spark / "spark", ignore_errors=True)


@pytest.mark.parametrize("night", [1, 2])
def test_each_spark_night_publishes_the_snapshot_of_the_duckdb_night(two_nights, night):
    _, _, nights = two_nights
    expected, published = nights[night - 1].on_duckdb, nights[night - 1].on_spark
    assert {f"marts.{mart}" for mart in PUBLIC_MARTS} | {"audit.quarantine"} <= set(expected)
    assert all(rows for _, rows in expected.values()), "an empty table on DuckDB: nothing would be compared"
    assert snapshot_differences(expected, published) == []


def test_the_second_night_published_the_held_back_week(two_nights):
    """Else the second comparison would only repeat the first."""
    _, _, nights = two_nights
    assert snapshot_differences(nights[0].on_duckdb, nights[1].on_duckdb) != []
    assert snapshot_differences(nights[0].on_spark, nights[1].on_spark) != []


def test_the_second_spark_night_rewrites_only_the_days_its_rows_touch(two_nights):
    """The build state beside the Spark tables (audit.build_state on Spark) agrees with the warehouse's: the
    second night builds incrementally, and funnel_daily's partitions of the other days stay as they were."""
    _, _, nights = two_nights
    assert "dbt build: full refresh (first build)" in nights[0].spark_run_log
    second = nights[1].spark_run_log
    incremental = re.compile(r"^dbt build: incremental \(rows loaded after [0-9-]+ [0-9:.]+\)$", re.MULTILINE)
    assert incremental.search(second), second[:3000]
    rewritten = re.search(r"^funnel_daily on Spark: (\d+) of (\d+) day partitions rewritten", second, re.MULTILINE)
    assert rewritten, second[-3000:]
    touched, partitions = int(rewritten[1]), int(rewritten[2])
    assert 0 < touched < partitions
    columns, rows = nights[1].on_spark["marts.funnel_daily"]
    date = [name for name, _ in columns].index("date")
    days = {row[date] for row in rows}
    assert partitions == len(days)


def newest_contact_day(data_dir: Path) -> str:
    """The newest contact of the DuckDB night's staging: what the freshness gate on Spark must find too."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return str(con.execute("select cast(max(received_at) as date) from staging.stg_crm__contacts").fetchone()[0])


def test_a_blocking_check_failing_on_spark_leaves_the_snapshot_byte_for_byte(two_nights):
    """A night years after the exports' last day: the freshness gate, querying the Spark tables, finds every
    source past its block limit (config/freshness.csv of the demo); nothing new was loaded, so dbt does not
    run and the gate is the first thing to open Spark."""
    on_duckdb, on_spark, _ = two_nights
    before = published_files(on_spark)
    blocked = run_on_spark(on_spark, MEMBRANA_RUN_DATE="2030-01-01")
    assert blocked.returncode == 1, failure(blocked)
    assert "check sources_are_fresh on marts/funnel_daily failed: stale sources: contacts newest " \
        f"{newest_contact_day(on_duckdb)} is" in blocked.stderr, failure(blocked)
    assert "nothing published" in blocked.stderr
    assert published_files(on_spark) == before
