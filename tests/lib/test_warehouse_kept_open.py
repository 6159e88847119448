"""The warehouse held open while a nightly job runs (warehouse.kept_open): the steps' connections join it, the
publish can still attach the file read-only once it is released, and what the steps wrote is in the file."""

import duckdb
import pytest

from orchestration.warehouse import connect_warehouse, kept_open, release_kept_warehouse


def attach_read_only(warehouse) -> list[tuple]:
    """What the publish does: the file attached read-only to an in-memory database of its own."""
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        return con.execute("select * from warehouse.main.rows_written order by 1").fetchall()


def test_a_step_joins_the_open_warehouse_and_the_publish_attaches_it_once_released(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with kept_open(warehouse):
        with connect_warehouse(warehouse) as step:  # a step's connection, closed at the step's end
            step.execute("create table rows_written as select range as n from range(3)")
        # the file is still held: a database of another configuration cannot open it
        with pytest.raises(duckdb.ConnectionException, match="different configuration"):
            duckdb.connect(str(warehouse), read_only=True)
        release_kept_warehouse()  # as the publish does before it attaches
        assert attach_read_only(warehouse) == [(0,), (1,), (2,)]
    assert not warehouse.with_name("warehouse.duckdb.wal").exists()  # written into the file on release


def test_what_the_steps_wrote_is_in_the_file_after_the_job(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    with kept_open(warehouse), connect_warehouse(warehouse) as step:
        step.execute("create table rows_written as select 7 as n")
    assert attach_read_only(warehouse) == [(7,)]


def test_a_warehouse_that_cannot_be_opened_is_left_to_the_steps(tmp_path):
    """No error from holding it: the step that opens it meets the fault and reports it as today."""
    warehouse = tmp_path / "no such folder" / "warehouse.duckdb"
    with kept_open(warehouse), pytest.raises(duckdb.IOException):
        connect_warehouse(warehouse)


def test_a_step_joins_the_warehouse_after_another_spilled(tmp_path):
    """A step that spilled to the warehouse's spill folder (a large sort under the memory limit, as at 1 M
    contacts and 1 GB) leaves it in use; the next step's connection joins without switching it."""
    warehouse = tmp_path / "warehouse.duckdb"
    with kept_open(warehouse):
        with connect_warehouse(warehouse, "200MB") as step:
            step.execute("create table rows_written as select range as n, md5(range::varchar) as s "
                         "from range(3000000)")
            step.execute("select s, count(*) from rows_written group by s order by s").fetchall()
        assert any(warehouse.with_name("warehouse.duckdb.tmp").iterdir())  # it did spill
        with connect_warehouse(warehouse, "200MB") as next_step:
            assert next_step.execute("select count(*) from rows_written").fetchone() == (3000000,)
