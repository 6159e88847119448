"""A mart validated in chunks gives the result of the whole table: on a hand-made mart whose failing rows
are counted here in Python, with chunks forced small, a duplicate key whose two rows lie at the two ends
of the table is still caught, every failing row is counted once, and no chunk holds much more than its
share of the rows (the whole mart is never read at once)."""

from collections import Counter
from datetime import date, timedelta

import duckdb
import pandas as pd
import pytest

from orchestration.defs.quality.suites import SUITES
from orchestration.lib.quality.expectations import gx, partition_key, validate_table

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


class RecordingConnection:
    """A real DuckDB connection that remembers how many rows each frame it handed out had."""

    def __init__(self, con):
        self.con, self.frame_rows = con, []

    def execute(self, sql: str):
        return RecordedResult(self.con.execute(sql), self.frame_rows)


class RecordedResult:
    def __init__(self, result, frame_rows: list):
        self.result, self.frame_rows = result, frame_rows

    def fetchone(self):
        return self.result.fetchone()

    def df(self):
        frame = self.result.df()
        self.frame_rows.append(len(frame))
        return frame


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


def test_no_chunk_holds_much_more_than_its_share_of_the_mart(clients):
    con, _ = clients
    recording = RecordingConnection(con)
    validate_table(recording, "clients", clients_suite(), chunk_rows=CHUNK_ROWS)
    assert len(recording.frame_rows) == ROWS // CHUNK_ROWS
    assert sum(recording.frame_rows) == ROWS  # every row validated exactly once
    assert max(recording.frame_rows) <= 1.2 * CHUNK_ROWS  # a hash split: near, not exactly, even


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
