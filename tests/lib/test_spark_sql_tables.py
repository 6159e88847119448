"""The Spark tables read through a SparkSession (build/engine.py's SparkTables) and over a Thrift server
(ThriftTables), against stand-ins for pyspark's DataFrame and PyHive's connection: dates come back as dates,
each query's rows stay its own, chunks come as DuckDB gives them (a partition at a time from Spark)."""

import base64
from datetime import date, datetime
from types import SimpleNamespace

import pytest

from orchestration.build.engine import (
    FETCH_ROWS,
    SparkTables,
    ThriftTables,
    databricks_transport,
    profile_target,
)
from orchestration.data_folder import DataFolder

RESULTS = {
    "select day, seen, n from t": ([("t.day", "DATE_TYPE"), ("t.seen", "TIMESTAMP_TYPE"), ("t.n", "BIGINT_TYPE")],
                                   [("2026-10-01", datetime(2026, 10, 1, 9), 3), (None, None, 4)]),
    "select n from big": ([("n", "INT_TYPE")], [(n,) for n in range(FETCH_ROWS * 2 + 5)]),
}


class StandInCursor:
    """PyHive's cursor as far as ThriftTables reads it: dates as text, timestamps typed, names table-qualified."""

    def execute(self, sql: str) -> None:
        self.description = [(name, type_code, None, None, None, None, True) for name, type_code in RESULTS[sql][0]]
        self.rows = list(RESULTS[sql][1])

    def fetchone(self):
        return self.rows.pop(0) if self.rows else None

    def fetchmany(self, size: int):
        taken, self.rows = self.rows[:size], self.rows[size:]
        return taken

    def fetchall(self):
        return self.fetchmany(len(self.rows))


class StandInConnection:
    def cursor(self) -> StandInCursor:
        return StandInCursor()


def test_dates_come_back_as_dates_and_names_without_their_table():
    result = ThriftTables(StandInConnection()).execute("select day, seen, n from t")
    assert [name for name, _ in result.description] == ["day", "seen", "n"]
    assert result.fetchall() == [(date(2026, 10, 1), datetime(2026, 10, 1, 9), 3), (None, None, 4)]


def test_each_query_keeps_its_own_rows():
    tables = ThriftTables(StandInConnection())
    first = tables.execute("select day, seen, n from t")
    tables.execute("select n from big").fetchall()
    assert first.fetchone()[2] == 3


class StandInFrame:
    """A pyspark DataFrame as far as SparkTables reads it; counts the rows streamed and the collects."""

    def __init__(self, sql: str) -> None:
        columns, self.rows = RESULTS[sql]
        self.schema = SimpleNamespace(fields=[
            SimpleNamespace(name=name.rsplit(".", 1)[-1], dataType=SimpleNamespace(simpleString=lambda: "int"))
            for name, _ in columns])
        self.streamed = 0

    def collect(self) -> list[tuple]:
        return list(self.rows)

    def toLocalIterator(self):
        for row in self.rows:
            self.streamed += 1
            yield row


class StandInSession:
    def sql(self, sql: str) -> StandInFrame:
        self.frame = StandInFrame(sql)
        return self.frame


def test_a_spark_aggregate_is_collected():
    assert SparkTables(StandInSession()).execute("select day, seen, n from t").fetchone()[2] == 3


@pytest.mark.parametrize("tables", [ThriftTables(StandInConnection()), SparkTables(StandInSession())],
                         ids=["thrift", "session"])
def test_the_last_query_comes_in_chunks_of_duckdb_vectors(tables):
    tables.execute("select n from big")
    sizes = []
    while not (chunk := tables.fetch_df_chunk(1)).empty:
        sizes.append(len(chunk))
        assert list(chunk.columns) == ["n"]
    assert sizes == [FETCH_ROWS, FETCH_ROWS, 5]


def test_spark_rows_are_streamed_as_they_are_read_not_collected_whole():
    session = StandInSession()
    tables = SparkTables(session)
    tables.execute("select n from big")
    assert len(tables.fetch_df_chunk(1)) == FETCH_ROWS
    assert session.frame.streamed == FETCH_ROWS


def test_databricks_is_reached_over_https_on_its_cluster_path_with_the_token(monkeypatch, tmp_path):
    """As dbt-spark's http method connects, from the profile's databricks target and the environment."""
    for name, value in {"DATABRICKS_HOST": "adb-1.azuredatabricks.net", "DATABRICKS_PORT": "8443",
                        "DATABRICKS_ORG_ID": "42", "DATABRICKS_CLUSTER_ID": "0101-abc",
                        "DATABRICKS_TOKEN": "dapi-secret"}.items():
        monkeypatch.setenv(name, value)
    transport = databricks_transport(profile_target(DataFolder(tmp_path), "databricks"))
    assert (transport.scheme, transport.host, transport.port, transport.path) == (
        "https", "adb-1.azuredatabricks.net", 8443, "/sql/protocolv1/o/42/0101-abc")
    authorization = transport._THttpClient__custom_headers["Authorization"]  # set, not sent, before a request
    assert base64.b64decode(authorization.removeprefix("Basic ")) == b"token:dapi-secret"
