"""Where dbt builds the tables of a night: the DuckDB warehouse (the default) or Spark (MEMBRANA_TARGET, which
profiles.yml reads too). The loader always writes the DuckDB warehouse; what reads dbt's tables after the
build — file reconciliation, the quality gates, the publish — opens them through `built_tables`, which gives
the same small interface on both engines: `execute(sql)` with `fetchone()`, `fetchall()` and `description`.
On Spark every query the gates send is an aggregate, so only small results reach this process.

Spark here is the in-process `spark` target: the SparkSession dbt-spark opened in this process (or the same
one, built from the same profile when dbt did not run in it this time)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import jinja2
import yaml

from orchestration.data_folder import PROJECT_ROOT, DataFolder
from orchestration.warehouse import connect_warehouse

SPARK_TARGETS = ("spark", "spark_thrift", "databricks")


def dbt_target() -> str:
    """The profiles.yml target dbt builds on, as profiles.yml itself picks it."""
    return os.environ.get("MEMBRANA_TARGET") or "duckdb"


def builds_on_spark() -> bool:
    target = dbt_target()
    if target in SPARK_TARGETS and target != "spark":
        # The gates and the publish open the tables through a SparkSession in this process (below).
        raise NotImplementedError(f"MEMBRANA_TARGET={target}: `membrana run` builds on the in-process `spark` "
                                  "target only so far; run dbt against this target by hand (README)")
    return target == "spark"


def spark_session_settings(folder: DataFolder) -> dict[str, str]:
    """The `spark` target's server_side_parameters of profiles.yml, rendered for this data folder as dbt renders
    them, plus the one dbt-spark adds itself (ANSI mode off)."""
    environment = {**os.environ, "MEMBRANA_DATA_DIR": str(folder.root)}

    def env_var(name: str, default: str | None = None) -> str:
        value = environment.get(name, default)
        if value is None:
            raise KeyError(f"profiles.yml needs the environment variable {name}")
        return value

    rendered = jinja2.Environment().from_string((PROJECT_ROOT / "profiles.yml").read_text()).render(env_var=env_var)
    target = yaml.safe_load(rendered)["membrana"]["outputs"]["spark"]
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


@dataclass
class SparkResult:
    """A Spark query's collected rows, read like a DuckDB result: small results only (aggregates)."""

    rows: list[tuple]
    description: list[tuple]

    def fetchone(self) -> tuple | None:
        return self.rows[0] if self.rows else None

    def fetchall(self) -> list[tuple]:
        return self.rows


@dataclass
class SparkTables:
    """dbt's tables on Spark, queried in Spark SQL; each result collected to this process."""

    session: object

    def execute(self, sql: str) -> SparkResult:
        frame = self.session.sql(sql)
        return SparkResult([tuple(row) for row in frame.collect()],
                           [(field.name, field.dataType.simpleString()) for field in frame.schema.fields])

    def has_table(self, name: str) -> bool:
        return self.session.catalog.tableExists(name)

    def table(self, name: str):
        """A Spark DataFrame of the table (for Great Expectations' Spark engine, which aggregates in Spark)."""
        return self.session.table(name)

    def write_parquet(self, name: str, folder: Path) -> None:
        """The table's rows as Parquet files in `folder` (replaced), written by Spark's executors: a path
        they and this process share (the data folder on one machine, a shared volume for a cluster)."""
        self.session.table(name).write.mode("overwrite").parquet(str(folder))


@contextmanager
def built_tables(folder: DataFolder, memory_limit: str | None = None) -> Iterator:
    """dbt's tables (staging, intermediate, marts, audit) where this night builds them: the DuckDB warehouse
    opened for writing (closed when the block ends), or SparkTables."""
    if builds_on_spark():
        yield SparkTables(spark_session(folder))
        return
    con = connect_warehouse(folder.warehouse, memory_limit)
    try:
        yield con
    finally:
        con.close()

