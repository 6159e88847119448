"""The loader's and publish's DuckDB connections take MEMBRANA_DUCKDB_MEMORY and spill inside the data folder."""

from datetime import datetime

import duckdb
import pytest

from orchestration.ingest.landing import load_entity
from orchestration.publish.snapshot import publish_marts
from orchestration.warehouse import MemorySettingError, connect_warehouse


def test_the_warehouse_connection_takes_the_limit_and_spills_beside_the_warehouse(tmp_path, monkeypatch):
    monkeypatch.setenv("MEMBRANA_DUCKDB_MEMORY", "300MB")
    warehouse = tmp_path / "warehouse.duckdb"
    with connect_warehouse(warehouse) as con:
        limit, spill = con.execute(
            "select current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    # DuckDB reports the limit in binary units: 300 MB = 286.1 MiB
    assert limit == "286.1 MiB"
    assert spill == str(tmp_path / "warehouse.duckdb.tmp")


def test_without_the_variable_the_limit_is_dbts_default(tmp_path, monkeypatch):
    monkeypatch.delenv("MEMBRANA_DUCKDB_MEMORY", raising=False)
    with connect_warehouse(tmp_path / "warehouse.duckdb") as con:
        assert con.execute("select current_setting('memory_limit')").fetchone()[0] == "1.8 GiB"


def test_a_file_larger_than_the_limit_streams_into_raw(tmp_path, monkeypatch):
    landing = tmp_path / "landing" / "contacts"
    landing.mkdir(parents=True)
    export = landing / "contacts.csv"
    rows = 600_000
    with duckdb.connect() as con:
        con.execute(
            f"copy (select 'c' || range as contact_id, '2026-01-01 10:00:00' as received_at, "
            f"'web' as source, md5(range::varchar) || repeat('x', 200) as campaign from range({rows})) "
            f"to '{export}' (header)"
        )
    assert export.stat().st_size > 150_000_000
    monkeypatch.setenv("MEMBRANA_DUCKDB_MEMORY", "128MB")
    with connect_warehouse(tmp_path / "warehouse.duckdb") as con:
        loads = load_entity(con, "contacts", landing, datetime(2026, 1, 2))
        assert con.execute("select count(*), max(source_line) from raw.contacts").fetchone() == (rows, rows + 1)
    assert [load.rows for load in loads] == [rows]


@pytest.mark.parametrize("value", ["lots", "2 parsecs"])
def test_a_value_duckdb_cannot_use_is_one_line(value, tmp_path, monkeypatch):
    monkeypatch.setenv("MEMBRANA_DUCKDB_MEMORY", value)
    with pytest.raises(MemorySettingError) as error:
        connect_warehouse(tmp_path / "warehouse.duckdb")
    assert str(error.value) == (
        f"MEMBRANA_DUCKDB_MEMORY={value!r} is not a memory size DuckDB understands (e.g. 2GB, 512MB)"
    )


def test_publish_runs_under_the_same_limit(tmp_path, monkeypatch):
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema marts")
        con.execute("create schema audit")
        con.execute("create table marts.funnel_daily as select 1 as n")
        con.execute("create table audit.quarantine as select 'x' as reason")
    monkeypatch.setenv("MEMBRANA_DUCKDB_MEMORY", "lots")
    with pytest.raises(MemorySettingError):
        publish_marts(warehouse, tmp_path / "published", marts=("funnel_daily",))
    monkeypatch.setenv("MEMBRANA_DUCKDB_MEMORY", "100MB")
    assert publish_marts(warehouse, tmp_path / "published", marts=("funnel_daily",)) == {"funnel_daily": 1}


def test_membrana_run_refuses_a_memory_size_duckdb_cannot_use_in_one_line(tmp_path, monkeypatch, capsys):
    from orchestration.cli import EXIT_BAD_INPUT, main

    monkeypatch.setenv("MEMBRANA_DUCKDB_MEMORY", "lots")
    monkeypatch.setenv("MEMBRANA_DATA_DIR", str(tmp_path))  # `run` writes it back into os.environ
    assert main(["run"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err == "membrana: MEMBRANA_DUCKDB_MEMORY='lots' is not a memory size DuckDB understands (e.g. 2GB, 512MB)\n"
    assert not (tmp_path / "warehouse.duckdb").exists()
