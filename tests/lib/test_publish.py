"""Publishing swaps the whole snapshot at once: a reader never sees a half-built or mixed state."""

import duckdb
import pytest

from orchestration.publish.snapshot import PUBLIC_MARTS, publish_marts

MARTS = PUBLIC_MARTS


def build_warehouse(path, version: int) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists audit")
        for mart in MARTS:
            con.execute(f"create or replace table marts.{mart} as select {version} as version, range as n from range({version})")
        con.execute("create or replace table audit.quarantine as select 'x' as reason")


def read_versions(snapshot) -> set[int]:
    with duckdb.connect() as con:
        con.execute(f"attach '{snapshot}' as snap (read_only)")
        return {con.execute(f"select max(version) from snap.marts.{mart}").fetchone()[0] for mart in MARTS}


@pytest.fixture
def folders(tmp_path):
    return tmp_path / "warehouse.duckdb", tmp_path / "published"


def test_publish_copies_every_mart_to_duckdb_and_parquet(folders):
    warehouse, published = folders
    build_warehouse(warehouse, 3)
    rows = publish_marts(warehouse, published)
    assert rows == {mart: 3 for mart in MARTS}
    assert read_versions(published / "marts.duckdb") == {3}
    for mart in MARTS:
        assert duckdb.sql(f"select count(*) from '{published / 'parquet' / (mart + '.parquet')}'").fetchall()[0][0] == 3


def test_a_reader_holding_the_old_snapshot_keeps_reading_it(folders):
    warehouse, published = folders
    build_warehouse(warehouse, 1)
    publish_marts(warehouse, published)
    reader = duckdb.connect(str(published / "marts.duckdb"), read_only=True)
    try:
        build_warehouse(warehouse, 2)
        publish_marts(warehouse, published)  # must not wait for, nor disturb, the open reader
        assert reader.execute("select max(version) from marts.marts.kpi_monthly").fetchone()[0] == 1
    finally:
        reader.close()
    assert read_versions(published / "marts.duckdb") == {2}
    parquet = published / "parquet" / "kpi_monthly.parquet"
    assert duckdb.sql(f"select max(version) from '{parquet}'").fetchall()[0][0] == 2
    # the folder before the current one is kept for readers still inside it, older ones are removed
    assert len(list(published.glob("parquet-*"))) == 2
    build_warehouse(warehouse, 3)
    publish_marts(warehouse, published)
    assert len(list(published.glob("parquet-*"))) == 2
    assert not list(published.glob(".*tmp"))
