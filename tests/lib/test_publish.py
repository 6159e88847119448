"""Publishing swaps the whole snapshot at once: a reader never sees a half-built or mixed state. The snapshot is
published/membrana.duckdb (contract v2); a pre-v2 published/marts.duckdb is read until a publish removes it."""

import duckdb
import pytest

from orchestration.publish.snapshot import (
    PUBLIC_MARTS,
    connect_snapshot,
    publish_marts,
    remove_pre_v2_snapshot,
    snapshot_path,
)

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
    assert read_versions(published / "membrana.duckdb") == {3}
    for mart in MARTS:
        assert duckdb.sql(f"select count(*) from '{published / 'parquet' / (mart + '.parquet')}'").fetchall()[0][0] == 3


def test_a_reader_holding_the_old_snapshot_keeps_reading_it(folders):
    warehouse, published = folders
    build_warehouse(warehouse, 1)
    publish_marts(warehouse, published)
    reader = duckdb.connect(str(published / "membrana.duckdb"), read_only=True)
    try:
        build_warehouse(warehouse, 2)
        publish_marts(warehouse, published)  # must not wait for, nor disturb, the open reader
        assert reader.execute("select max(version) from marts.kpi_monthly").fetchone()[0] == 1
    finally:
        reader.close()
    assert read_versions(published / "membrana.duckdb") == {2}
    parquet = published / "parquet" / "kpi_monthly.parquet"
    assert duckdb.sql(f"select max(version) from '{parquet}'").fetchall()[0][0] == 2
    # the folder before the current one is kept for readers still inside it, older ones are removed
    assert len(list(published.glob("parquet-*"))) == 2
    build_warehouse(warehouse, 3)
    publish_marts(warehouse, published)
    assert len(list(published.glob("parquet-*"))) == 2
    assert not list(published.glob(".*tmp"))


def test_the_opened_snapshot_answers_marts_kpi_monthly_unqualified(folders):
    """Contract v2: the file's catalog is `membrana`, so `marts.kpi_monthly` names the schema without ambiguity
    (as `duckdb -readonly published/membrana.duckdb` would open it)."""
    warehouse, published = folders
    build_warehouse(warehouse, 2)
    publish_marts(warehouse, published)
    assert not (published / "marts.duckdb").exists()
    with duckdb.connect(str(published / "membrana.duckdb"), read_only=True) as con:
        assert con.execute("select current_database()").fetchone()[0] == "membrana"
        assert con.execute("select count(*) from marts.kpi_monthly").fetchone()[0] == 2


def test_readers_fall_back_to_the_pre_v2_file_until_a_publish_removes_it(folders):
    warehouse, published = folders
    build_warehouse(warehouse, 1)
    publish_marts(warehouse, published)
    (published / "membrana.duckdb").rename(published / "marts.duckdb")  # a folder published before v2
    assert snapshot_path(published) == published / "marts.duckdb"
    with connect_snapshot(published) as con:
        assert con.execute("select max(version) from snapshot.marts.kpi_monthly").fetchone()[0] == 1
    assert remove_pre_v2_snapshot(published) is None  # nothing published under the new name yet: it stays
    assert (published / "marts.duckdb").exists()
    build_warehouse(warehouse, 2)
    publish_marts(warehouse, published)
    assert snapshot_path(published) == published / "membrana.duckdb"
    notice = remove_pre_v2_snapshot(published)
    assert notice == ("removed published/marts.duckdb, the pre-v2 name of the snapshot; "
                      "it is now published/membrana.duckdb")
    assert not (published / "marts.duckdb").exists()
    assert remove_pre_v2_snapshot(published) is None  # said once
    assert read_versions(snapshot_path(published)) == {2}


def test_with_nothing_published_the_snapshot_is_looked_for_under_its_new_name(folders):
    _, published = folders
    assert snapshot_path(published) == published / "membrana.duckdb"
