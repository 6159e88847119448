"""A mart validated in chunks gives the result of the whole table: on a hand-made mart whose failing rows
are counted here in Python, with chunks forced small, a duplicate key whose two rows lie at the two ends
of the table is still caught, every failing row is counted once, and no chunk holds much more than its
share of the rows (the whole mart is never read at once)."""

import tracemalloc
from collections import Counter
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from orchestration.build.engine import SPARK_SQL
from orchestration.quality.expectations import configurations_built_once, gx, partition_key, validate_table
from orchestration.quality.suites import SUITES

expect = gx.expectations
ROWS = 3000
CHUNK_ROWS = 500
CHANNELS = ["tv", "brand", "partners"]


def client_rows() -> list[tuple]:
    """client_id, channel, touches, revenue, paid; broken on purpose at known rows."""
    rows = []
    for i in range(ROWS):
        client_id = None if i == 1500 else f"c{i}"
        channel = "radio" if i % 250 == 3 else CHANNELS[i % 3]
        touches = -1 if i % 101 == 7 else i % 9
        revenue = float(i % 50)
        paid = revenue + 1 if i % 333 == 5 else revenue
        rows.append((client_id, channel, touches, revenue, paid))
    rows[-1] = ("c0", *rows[-1][1:])  # the first row's key again, as far from it as the table allows
    return rows


def insert(con, table: str, rows: list[tuple]) -> None:
    """In one statement from a frame (row-by-row inserts take seconds)."""
    frame = pd.DataFrame(rows, columns=[column[0] for column in con.execute(f"describe {table}").fetchall()])
    con.register("new_rows", frame)
    con.execute(f"insert into {table} select * from new_rows")
    con.unregister("new_rows")


@pytest.fixture
def clients():
    con = duckdb.connect()
    con.execute("create table clients (client_id varchar, channel varchar, touches integer, "
                "revenue decimal(28, 6), paid double)")
    rows = client_rows()
    insert(con, "clients", rows)
    yield con, rows
    con.close()


def clients_suite() -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name="clients", expectations=[
        expect.ExpectTableRowCountToBeBetween(min_value=1),
        expect.ExpectColumnToExist(column="client_id"),
        expect.ExpectColumnValuesToNotBeNull(column="client_id"),
        expect.ExpectColumnValuesToBeUnique(column="client_id"),
        expect.ExpectColumnValuesToBeBetween(column="touches", min_value=0),
        expect.ExpectColumnValuesToBeInSet(column="channel", value_set=CHANNELS, severity="warning"),
        expect.ExpectColumnPairValuesAToBeGreaterThanB(column_A="revenue", column_B="paid", or_equal=True),
    ])


def failing_rows_counted_in_python(rows: list[tuple]) -> dict[str, int]:
    keys = Counter(row[0] for row in rows if row[0] is not None)
    return {
        "expect_column_values_to_not_be_null(client_id)": sum(row[0] is None for row in rows),
        "expect_column_values_to_be_unique(client_id)": sum(count for count in keys.values() if count > 1),
        "expect_column_values_to_be_between(touches)": sum(row[2] < 0 for row in rows),
        "expect_column_values_to_be_in_set(channel)": sum(row[1] not in CHANNELS for row in rows),
        "expect_column_pair_values_a_to_be_greater_than_b()": sum(row[3] < row[4] for row in rows),
    }


@pytest.mark.parametrize("chunk_rows", [CHUNK_ROWS, ROWS])
def test_failing_rows_add_up_over_the_chunks_as_over_the_whole_table(clients, chunk_rows):
    con, rows = clients
    result = validate_table(con, "clients", clients_suite(), chunk_rows=chunk_rows)
    assert (result.rows, result.chunks) == (ROWS, -(-ROWS // chunk_rows))
    assert result.evaluated == 7
    assert {failure.expectation: failure.unexpected for failure in result.failed} == failing_rows_counted_in_python(rows)
    severities = {failure.expectation: failure.severity for failure in result.failed}
    assert severities["expect_column_values_to_be_in_set(channel)"] == "warning"
    assert severities["expect_column_values_to_be_unique(client_id)"] == "critical"


def test_memory_follows_the_chunk_not_the_mart():
    """Python's own allocations (pandas' and GE's) at their peak, chunks of a twentieth of the mart against
    one chunk of all of it: the whole mart is never in memory at once."""
    con = duckdb.connect()
    con.execute("create table wide_clients as select 'client-' || i as client_id, i % 7 as touches, "
                "i * 1.5 as revenue, i * 0.5 as paid, 'brand' as channel from range(200000) as numbers(i)")
    suite = gx.ExpectationSuite(name="wide", expectations=[
        expect.ExpectColumnValuesToBeUnique(column="client_id"),
        expect.ExpectColumnValuesToBeBetween(column="touches", min_value=0),
        expect.ExpectColumnPairValuesAToBeGreaterThanB(column_A="revenue", column_B="paid", or_equal=True),
    ])

    def peak_bytes(chunk_rows: int) -> int:
        tracemalloc.start()
        result = validate_table(con, "wide_clients", suite, chunk_rows=chunk_rows)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert result.failed == []
        return peak

    small, whole = peak_bytes(10_000), peak_bytes(200_000)
    assert small < 0.25 * whole


def test_a_duplicate_compound_key_split_across_chunks_by_position_is_caught():
    con = duckdb.connect()
    con.execute("create table kpi (month date, channel varchar, revenue double)")
    months = [date(2020, 1, 1) + timedelta(days=31 * n) for n in range(400)]
    rows = [(month.replace(day=1), channel, 1.0) for month in months for channel in CHANNELS]
    rows.append(rows[0])
    insert(con, "kpi", rows)
    suite = gx.ExpectationSuite(name="kpi", expectations=[
        expect.ExpectCompoundColumnsToBeUnique(column_list=["month", "channel"]),
    ])
    result = validate_table(con, "kpi", suite, chunk_rows=100)
    assert result.chunks == 13
    assert [(f.expectation, f.unexpected) for f in result.failed] == [
        ("expect_compound_columns_to_be_unique(month,channel)", 2)]


def test_the_row_count_is_judged_on_the_whole_table_not_per_chunk(clients):
    con, _ = clients
    # Every chunk has fewer rows than the table: judged per chunk, an upper bound below it would pass.
    too_many = gx.ExpectationSuite(name="c", expectations=[expect.ExpectTableRowCountToBeBetween(max_value=ROWS - 1)])
    assert [f.expectation for f in validate_table(con, "clients", too_many, chunk_rows=CHUNK_ROWS).failed] == [
        "expect_table_row_count_to_be_between()"]
    enough = gx.ExpectationSuite(name="c", expectations=[expect.ExpectTableRowCountToBeBetween(min_value=ROWS)])
    assert validate_table(con, "clients", enough, chunk_rows=CHUNK_ROWS).failed == []


def test_an_empty_mart_fails_its_row_count_and_passes_its_row_rules():
    con = duckdb.connect()
    con.execute("create table empty_mart (client_id varchar)")
    suite = gx.ExpectationSuite(name="e", expectations=[
        expect.ExpectTableRowCountToBeBetween(min_value=1),
        expect.ExpectColumnValuesToNotBeNull(column="client_id"),
    ])
    result = validate_table(con, "empty_mart", suite)
    assert (result.rows, result.chunks) == (0, 1)
    assert [f.expectation for f in result.failed] == ["expect_table_row_count_to_be_between()"]


@pytest.mark.parametrize("expectations, refused", [
    ([expect.ExpectColumnMeanToBeBetween(column="touches", min_value=0)], "expect_column_mean_to_be_between"),
    ([expect.ExpectColumnValuesToNotBeNull(column="client_id", mostly=0.9)], "mostly"),
    ([expect.ExpectColumnValuesToBeUnique(column="client_id"), expect.ExpectColumnValuesToBeUnique(column="channel")],
     "share no column"),
])
def test_what_cannot_be_combined_across_chunks_is_refused_not_weakened(clients, expectations, refused):
    con, _ = clients
    with pytest.raises(ValueError, match=refused):
        validate_table(con, "clients", gx.ExpectationSuite(name="c", expectations=expectations))


def test_every_shipped_suite_can_be_validated_in_chunks():
    for name, make_suite in SUITES.items():
        suite = make_suite()
        assert partition_key(name, list(suite.expectations)), name


def test_configurations_are_built_once_within_a_validation_and_anew_outside_it():
    expectation = expect.ExpectColumnValuesToNotBeNull(column="client_id")
    assert expectation.configuration is not expectation.configuration  # GE's own: built at every read
    with configurations_built_once():
        assert expectation.configuration is expectation.configuration
        assert expectation.configuration.kwargs == {"column": "client_id"}
    assert expectation.configuration is not expectation.configuration


def test_over_spark_sql_the_chunks_split_by_backquoted_key_columns_or_the_whole_row():
    """A double-quoted name is a string in Spark SQL: every row would hash alike, one chunk holding the mart."""
    unique = [expect.ExpectColumnValuesToBeUnique(column="client_id"),
              expect.ExpectCompoundColumnsToBeUnique(column_list=["client_id", "month"])]
    assert partition_key("c", unique) == '"client_id"'
    assert partition_key("c", unique, SPARK_SQL) == "`client_id`"
    not_null = [expect.ExpectColumnValuesToNotBeNull(column="client_id")]
    assert partition_key("c", not_null) == "mart"  # DuckDB: the row, by its alias
    assert partition_key("c", not_null, SPARK_SQL) == "*"
