"""Where dbt builds the tables of a night: the DuckDB warehouse (the default) or Spark (MEMBRANA_TARGET, which
profiles.yml reads too). The loader always writes the DuckDB warehouse; what reads dbt's tables after the
build — file reconciliation, the quality gates, the publish — opens them through `built_tables`, which gives
the same small interface on both engines: `execute(sql)` with `fetchone()`, `fetchall()` and `description`.
On Spark every query the gates send is an aggregate, so only small results reach this process; the expectation
suites' reads of a mart stream it a chunk at a time (`fetch_df_chunk`).

On the in-process `spark` target the tables are read through the SparkSession dbt-spark opened in this process
(or the same one, built from the same profile when dbt did not run in it this time); on `spark_thrift` and
`databricks` through the server dbt builds on, over Thrift (PyHive), connected as dbt-spark connects."""

import base64
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import jinja2
import yaml

from orchestration.data_folder import PROJECT_ROOT, DataFolder
from orchestration.warehouse import connect_warehouse

SPARK_TARGETS = ("spark", "spark_thrift", "databricks")
OVER_THRIFT = ("spark_thrift", "databricks")  # a server of the cluster's, not Spark inside this process


def dbt_target() -> str:
    """The profiles.yml target dbt builds on, as profiles.yml itself picks it."""
    return os.environ.get("MEMBRANA_TARGET") or "duckdb"


def builds_on_spark() -> bool:
    return dbt_target() in SPARK_TARGETS


def profile_target(folder: DataFolder, name: str) -> dict:
    """A target of profiles.yml, rendered for this data folder as dbt renders it."""
    environment = {**os.environ, "MEMBRANA_DATA_DIR": str(folder.root)}

    def env_var(name: str, default: str | None = None) -> str:
        value = environment.get(name, default)
        if value is None:
            raise KeyError(f"profiles.yml needs the environment variable {name}")
        return value

    rendered = jinja2.Environment().from_string((PROJECT_ROOT / "profiles.yml").read_text()).render(env_var=env_var)
    return yaml.safe_load(rendered)["membrana"]["outputs"][name]


def spark_session_settings(folder: DataFolder) -> dict[str, str]:
    """The `spark` target's server_side_parameters of profiles.yml, rendered for this data folder as dbt renders
    them, plus the one dbt-spark adds itself (ANSI mode off)."""
    target = profile_target(folder, "spark")
    settings = {str(key): str(value) for key, value in target["server_side_parameters"].items()}
    settings["spark.sql.ansi.enabled"] = "false"  # dbt-spark forces it on every session it opens
    return settings


def spark_session(folder: DataFolder):
    """The process's SparkSession: the one dbt opened, else a new one with the profile's settings (the same
    metastore and table folder under the data folder's spark/)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for name, value in spark_session_settings(folder).items():
        builder = builder.config(name, value)
    return builder.getOrCreate()


@dataclass(frozen=True)
class SqlDialect:
    """What the expectation suites' chunked reads write differently by engine."""

    quote: str  # around a column name (in Spark SQL a double-quoted name is a string)
    whole_row: str  # hash() of a whole row: DuckDB's by the table's alias `mart`, Spark SQL's by `*`


DUCKDB_SQL = SqlDialect('"', "mart")
SPARK_SQL = SqlDialect("`", "*")


class SparkResult:
    """A Spark query's result, read like a DuckDB result: fetchone() and fetchall() collect it (the gates'
    aggregates), fetchmany() streams it a partition at a time (the marts the expectation suites read)."""

    def __init__(self, frame) -> None:
        self.frame = frame
        self.description = [(field.name, field.dataType.simpleString()) for field in frame.schema.fields]
        self.streamed = None

    def fetchone(self) -> tuple | None:
        rows = self.fetchall()
        return rows[0] if rows else None

    def fetchall(self) -> list[tuple]:
        return [tuple(row) for row in self.frame.collect()]

    def fetchmany(self, size: int) -> list[tuple]:
        if self.streamed is None:
            self.streamed = self.frame.toLocalIterator()
        return [tuple(row) for row in itertools.islice(self.streamed, size)]


FETCH_ROWS = 2048  # rows of one DuckDB vector: fetch_df_chunk(n) reads n of them, on every engine


class SparkSqlTables:
    """What the Spark engines' tables share: Spark SQL, and the last query's rows read a chunk at a time as
    from a DuckDB connection (the expectation suites' reads, quality/expectations.py)."""

    dialect = SPARK_SQL
    last = None  # the last execute()'s result

    def fetch_df_chunk(self, vectors: int = 1):
        """The next rows of the last query (vectors of FETCH_ROWS rows), as a pandas frame."""
        import pandas as pd

        rows = self.last.fetchmany(vectors * FETCH_ROWS)
        return pd.DataFrame.from_records(rows, columns=[name for name, _ in self.last.description])


class SparkTables(SparkSqlTables):
    """dbt's tables on Spark, queried in Spark SQL through this process's SparkSession."""

    def __init__(self, session) -> None:
        self.session = session

    def execute(self, sql: str) -> SparkResult:
        self.last = SparkResult(self.session.sql(sql))
        return self.last

    def has_table(self, name: str) -> bool:
        return self.session.catalog.tableExists(name)

    def write_parquet(self, name: str, folder: Path) -> None:
        """The table's rows as Parquet files in `folder` (replaced), written by Spark's executors: a path
        they and this process share (the data folder on one machine, a shared volume for a cluster)."""
        self.session.table(name).write.mode("overwrite").parquet(str(folder))


# What the Thrift server sends as text and PyHive leaves so (it types timestamps and decimals itself), by the
# type code of its cursor.description
THRIFT_TEXT_TYPES = {"DATE_TYPE": date.fromisoformat}


class ThriftResult:
    """One query's result over Thrift, read like a DuckDB result; rows come as they are fetched."""

    def __init__(self, cursor) -> None:
        self.cursor = cursor

    @property
    def description(self) -> list[tuple]:
        return [(column[0].rsplit(".", 1)[-1], column[1]) for column in self.cursor.description or []]

    def fetchone(self) -> tuple | None:
        row = self.cursor.fetchone()
        return None if row is None else self.typed([row])[0]

    def fetchall(self) -> list[tuple]:
        return self.typed(self.cursor.fetchall())

    def fetchmany(self, size: int) -> list[tuple]:
        return self.typed(self.cursor.fetchmany(size))

    def typed(self, rows: list) -> list[tuple]:
        """Dates as the other engines give them (the Thrift protocol sends them as text)."""
        convert = [THRIFT_TEXT_TYPES.get(type_code) for _, type_code in self.description]
        return [tuple(to(value) if to and isinstance(value, str) else value
                      for to, value in zip(convert, row, strict=True)) for row in rows]


class ThriftTables(SparkSqlTables):
    """dbt's tables on a Spark Thrift server (the `spark_thrift` target) or a Databricks cluster, queried in
    Spark SQL over PyHive (thrift_tables). Results come back row by row: the gates' aggregates, and the marts the
    expectation suites validate a chunk at a time (fetch_df_chunk, as from a DuckDB connection)."""

    def __init__(self, connection) -> None:
        self.connection = connection

    def execute(self, sql: str) -> ThriftResult:
        cursor = self.connection.cursor()
        cursor.execute(sql)
        self.last = ThriftResult(cursor)
        return self.last

    def has_table(self, name: str) -> bool:
        schema, table = name.split(".")
        return bool(self.execute(f"show databases like '{schema}'").fetchall()) and bool(
            self.execute(f"show tables in {schema} like '{table}'").fetchall())

    def write_parquet(self, name: str, folder: Path) -> None:
        """The table's rows as Parquet files in `folder` (replaced), written by the cluster: a path the cluster
        and this process share (the data folder on one machine, a shared volume)."""
        self.execute(f"insert overwrite directory '{folder}' using parquet select * from {name}")

    def close(self) -> None:
        self.connection.close()


def thrift_tables(folder: DataFolder) -> ThriftTables:
    """Connected as dbt-spark connects for the target: `spark_thrift` with the profile's host, port and user
    (Thrift's binary protocol), `databricks` over HTTPS with the workspace's token (its http method)."""
    from pyhive import hive

    name = dbt_target()
    target = profile_target(folder, name)
    if name == "databricks":
        return ThriftTables(hive.connect(thrift_transport=databricks_transport(target)))
    return ThriftTables(hive.connect(host=target["host"], port=int(target["port"]), username=target["user"]))


def databricks_transport(target: dict):
    """HTTPS to the cluster's path of the workspace, the token as a password: dbt-spark's http method, its URL
    from dbt-spark's own template, so both connect to the same place."""
    from dbt.adapters.spark.connections import SparkConnectionManager
    from thrift.transport import THttpClient

    host = target["host"] if target["host"].startswith("https://") else f"https://{target['host']}"
    transport = THttpClient.THttpClient(SparkConnectionManager.SPARK_CONNECTION_URL.format(
        host=host, port=target["port"], organization=target["organization"], cluster=target["cluster"]))
    token = base64.standard_b64encode(f"token:{target['token']}".encode()).decode()
    transport.setCustomHeaders({"Authorization": f"Basic {token}"})
    return transport


@contextmanager
def built_tables(folder: DataFolder, memory_limit: str | None = None) -> Iterator:
    """dbt's tables (staging, intermediate, marts, audit) where this night builds them: the DuckDB warehouse
    opened for writing (closed when the block ends), SparkTables or ThriftTables."""
    if builds_on_spark():
        if dbt_target() in OVER_THRIFT:
            tables = thrift_tables(folder)
            try:
                yield tables
            finally:
                tables.close()
            return
        yield SparkTables(spark_session(folder))
        return
    con = connect_warehouse(folder.warehouse, memory_limit)
    try:
        yield con
    finally:
        con.close()

