"""`MEMBRANA_TARGET=spark membrana run`: the whole night with dbt on Spark (landing → raw in DuckDB → raw as
Parquet → dbt build and tests on Spark → quality gates on Spark → publish → dashboard) publishes the snapshot a
DuckDB night publishes from the same exports: every table of published/membrana.duckdb with the same columns
in the same order, the same types and the same rows (floating columns within 1e-6). A blocking check that
fails on Spark leaves the snapshot as it was, byte for byte.

One generated company (the demo at a tenth of its contacts) copied, before any run, into two data folders:
one night on DuckDB, one on Spark. The Spark session is the `membrana run` process's own, one per run.
"""

import hashlib
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.publish.snapshot import PUBLIC_MARTS
from tests.support.membrana import BIN, MEMBRANA, failure, membrana_env, run_command, run_membrana
from tests.support.parity import aligned_rows, differences

# A Spark night takes 15 to 40 minutes on a 2-core machine, far past the test suite's budget, and has not yet
# passed here as a test: `make spark-night` runs it; `make test` leaves it out (pyproject.toml's addopts).
pytestmark = pytest.mark.spark_night

# pyspark starts its JVM through bash scripts (spark-submit): the system's PATH after the virtualenv's.
SPARK = {"MEMBRANA_TARGET": "spark", "SPARK_LOCAL_IP": "127.0.0.1", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
SPARK_NIGHT_TIMEOUT = 3600  # seconds: a Spark night on 2 busy cores takes far longer than run_command's default


def run_on_spark(data_dir: Path, **extra: str):
    return run_command([MEMBRANA, "run"], env=membrana_env(data_dir, **SPARK, **extra), timeout=SPARK_NIGHT_TIMEOUT)


@pytest.fixture(scope="module")
def two_nights(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("spark_night")
    on_duckdb, on_spark = root / "duckdb", root / "spark"
    demo = run_membrana("demo", "--out", on_duckdb, "--contacts", "3000", data_dir=on_duckdb)
    assert demo.returncode == 0, failure(demo)
    shutil.copytree(on_duckdb, on_spark)
    duckdb_night = run_membrana("run", data_dir=on_duckdb)
    assert duckdb_night.returncode == 0, failure(duckdb_night)
    spark_night = run_on_spark(on_spark)
    assert spark_night.returncode == 0, failure(spark_night)
    yield on_duckdb, on_spark
    shutil.rmtree(on_spark / "spark", ignore_errors=True)


def snapshot_tables(data_dir: Path) -> dict[str, tuple[list[tuple[str, str]], list[tuple]]]:
    """Every table of the published snapshot: its columns with their types, in order, and its rows, the data
    folder's own path taken out of any text (the quarantine names each row's landing file)."""
    tables = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{data_dir / 'published' / 'membrana.duckdb'}' as snapshot (read_only)")
        names = con.execute("select table_schema, table_name from information_schema.tables "
                            "where table_catalog = 'snapshot' order by 1, 2").fetchall()
        for schema, table in names:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns where table_catalog = 'snapshot' "
                "and table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
            rows = con.execute(f"select * from snapshot.{schema}.{table}").fetchall()
            tables[f"{schema}.{table}"] = (columns, [
                tuple(value.replace(str(data_dir), "DATA_DIR") if isinstance(value, str) else value for value in row)
                for row in rows
            ])
    return tables


def test_the_spark_night_publishes_the_snapshot_of_the_duckdb_night(two_nights):
    on_duckdb, on_spark = two_nights
    expected, published = snapshot_tables(on_duckdb), snapshot_tables(on_spark)
    assert {f"marts.{mart}" for mart in PUBLIC_MARTS} | {"audit.quarantine"} <= set(expected)
    assert sorted(published) == sorted(expected)
    for table, (columns, rows) in expected.items():
        spark_columns, spark_rows = published[table]
        assert spark_columns == columns, f"{table}: columns on DuckDB {columns}, on Spark {spark_columns}"
        assert rows, f"{table} is empty on DuckDB: nothing would be compared"
        names = [name for name, _ in columns]
        found = differences(names, aligned_rows(names, rows, names), aligned_rows(names, spark_rows, names))
        assert not found, f"{table} differs between the DuckDB and the Spark night: " + "; ".join(found)


def published_bytes(data_dir: Path) -> dict[str, str]:
    """Every file under published/ (the Parquet link followed) with a digest of its bytes."""
    published = data_dir / "published"
    return {str(path.relative_to(published)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(published.rglob("*")) if path.is_file()} | {
        "parquet ->": str((published / "parquet").readlink())}


def newest_contact_day(data_dir: Path) -> str:
    """The newest contact of the DuckDB night's staging: what the freshness gate on Spark must find too."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return str(con.execute("select cast(max(received_at) as date) from staging.stg_crm__contacts").fetchone()[0])


def test_a_blocking_check_failing_on_spark_leaves_the_snapshot_byte_for_byte(two_nights):
    """A night years after the exports' last day: the freshness gate, querying the Spark tables, finds every
    source past its block limit (config/freshness.csv of the demo); nothing new was loaded, so dbt does not
    run and the gate is the first thing to open Spark."""
    on_duckdb, on_spark = two_nights
    before = published_bytes(on_spark)
    blocked = run_on_spark(on_spark, MEMBRANA_RUN_DATE="2030-01-01")
    assert blocked.returncode == 1, failure(blocked)
    assert "check sources_are_fresh on marts/funnel_daily failed: stale sources: contacts newest " \
        f"{newest_contact_day(on_duckdb)} is" in blocked.stderr, failure(blocked)
    assert "nothing published" in blocked.stderr
    assert published_bytes(on_spark) == before
