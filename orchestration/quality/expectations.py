"""Runs a Great Expectations suite (GE 1.x, ephemeral context: the suites are code, nothing is stored
in a GE project folder) on a mart read from the warehouse, and sums up the result by severity.

A mart is validated in chunks of about `CHUNK_ROWS` rows, of the columns its expectations name only, so
memory stays bounded however large the mart grows (at 10 M contacts `clients` has 8.9 M rows: read whole
into pandas, its check alone took 5 GB). Each expectation's results over the chunks add up to its result
over the whole table, by its kind:
- row by row (not null, between, in set, A ≥ B): a row's verdict depends on that row alone, so the
  failing rows add up and the table passes when every chunk does;
- uniqueness: row by row too, because the chunks split the table by a hash of the key, so all the
  rows of one key value, duplicates included, fall into the same chunk;
- a column's existence: the same in every chunk;
- the row count: validated once, on the table's row count (a frame of that many rows and no column).
Any other expectation type is refused rather than validated chunk by chunk and silently weakened:
give it its combination here first.

The same on every engine: on Spark (build.engine.SparkTables, ThriftTables) the chunks are read in Spark SQL
and streamed to this process a partition at a time. Great Expectations' own Spark engine runs a Spark job
per expectation: a Spark night's suites took 50 s that way at 3,000 contacts, 12 s read in chunks.
"""

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

from orchestration.build.engine import DUCKDB_SQL, SqlDialect
from orchestration.quality import defer_unused_imports, name_an_anonymous_main_module

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no usage statistics sent from a nightly job


name_an_anonymous_main_module()  # before Great Expectations imports pyspark
defer_unused_imports()

import great_expectations as gx
import pandas as pd
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)
from great_expectations.expectations.expectation import Expectation

# Rows validated at once: pandas and GE's masks take about 1 KB a row (a chunk of `clients` ~250 MB);
# a mart up to this size is one chunk.
CHUNK_ROWS = 250_000

FETCH_VECTORS = 10  # DuckDB vectors of 2,048 rows fetched at a time while a chunk is gathered

ROW_BY_ROW = {
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_in_set",
    "expect_column_pair_values_a_to_be_greater_than_b",
}
UNIQUE_KEY = {  # the key columns each uniqueness expectation checks
    "expect_column_values_to_be_unique": lambda kwargs: [kwargs["column"]],
    "expect_compound_columns_to_be_unique": lambda kwargs: list(kwargs["column_list"]),
}
SAME_IN_EVERY_CHUNK = {"expect_column_to_exist"}
ON_THE_ROW_COUNT = {"expect_table_row_count_to_be_between"}


@dataclass(frozen=True)
class FailedExpectation:
    expectation: str  # e.g. expect_column_values_to_not_be_null(fixed_leads)
    severity: str  # critical | warning | info
    unexpected: int | None


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    evaluated: int
    failed: list[FailedExpectation]
    rows: int = 0
    chunks: int = 1

    @property
    def blocking_failures(self) -> list[FailedExpectation]:
        return [failure for failure in self.failed if failure.severity == "critical"]


def validate_table(con, table: str, suite: gx.ExpectationSuite, chunk_rows: int = CHUNK_ROWS) -> SuiteResult:
    """Validates `table` of the warehouse with `suite`, about `chunk_rows` rows at a time (on Spark: at once)."""

    expectations = list(suite.expectations)
    # Each copy carries its place in the suite: GE reports results grouped by column, not in suite order.
    positioned = [expectation.copy(update={"meta": {**(expectation.meta or {}), "position": position}})
                  for position, expectation in enumerate(expectations)]
    rows = con.execute(f"select count(*) from {table}").fetchone()[0]
    dialect = getattr(con, "dialect", DUCKDB_SQL)  # on Spark: Spark SQL's
    key = partition_key(suite.name, expectations, dialect)
    chunks = max(1, math.ceil(rows / chunk_rows))
    batch_definition = dataframe_batches(table)
    on_the_row_count = [e for e in positioned if e.configuration.type in ON_THE_ROW_COUNT]
    per_chunk = [e for e in positioned if e.configuration.type not in ON_THE_ROW_COUNT]

    passed = [True] * len(expectations)
    unexpected: list[int | None] = [None] * len(expectations)

    def combine(results) -> None:
        for position, success, count in results:
            passed[position] = passed[position] and success
            if count is not None:
                unexpected[position] = (unexpected[position] or 0) + count

    if per_chunk:
        columns = [column for column in table_columns(con, table) if column in referenced_columns(per_chunk)]
        for frame in chunk_frames(con, table, columns, key, chunks, dialect.quote):
            combine(outcomes(batch_definition, frame, suite.name, per_chunk))
    combine(outcomes(batch_definition, pd.DataFrame(index=pd.RangeIndex(rows)), suite.name, on_the_row_count))

    return suite_result(suite.name, expectations, passed, unexpected, rows, chunks)


def suite_result(suite_name: str, expectations: list, passed: list[bool], unexpected: list[int | None],
                 rows: int, chunks: int) -> SuiteResult:
    failed = [
        FailedExpectation(describe(expectation.configuration), str(expectation.severity.value), unexpected[position])
        for position, expectation in enumerate(expectations)
        if not passed[position]
    ]
    return SuiteResult(suite_name, len(expectations), failed, rows, chunks)


def chunk_frames(con, table: str, columns: list[str], key: str, chunks: int,
                 quote: str = '"') -> Iterator[pd.DataFrame]:
    """The mart's `columns`, one frame per chunk of its rows, in one pass: the rows sorted by their chunk
    and fetched a few thousand at a time, so only one chunk is ever in memory (far cheaper than a scan
    and a hash of the key for each chunk)."""
    if not columns:  # the expectations name no column the mart has: they fail on any frame
        yield pd.DataFrame()
        return
    selected = ", ".join(quoted(column, quote) for column in columns)
    con.execute(f"select {selected}, hash({key}) % {chunks} as validation_chunk "
                f"from {table} as mart order by validation_chunk")
    pending, pending_chunk = [], None
    while not (part := con.fetch_df_chunk(FETCH_VECTORS)).empty:
        for chunk, rows in part.groupby("validation_chunk", sort=True):
            if pending and chunk != pending_chunk:
                yield pd.concat(pending, ignore_index=True)
                pending = []
            pending.append(rows.drop(columns="validation_chunk"))
            pending_chunk = chunk
    if pending:
        yield pd.concat(pending, ignore_index=True)


def table_columns(con, table: str) -> list[str]:
    return [column[0] for column in con.execute(f"select * from {table} limit 0").description]


def referenced_columns(expectations: list) -> set[str]:
    """The columns the expectations read (of the kinds in this module, which name them in these arguments)."""
    names = set()
    for expectation in expectations:
        kwargs = expectation.configuration.kwargs
        names.update(kwargs.get("column_list") or [])
        names.update(kwargs[argument] for argument in ("column", "column_A", "column_B") if kwargs.get(argument))
    return names


def quoted(column: str, quote: str = '"') -> str:
    return quote + column.replace(quote, quote * 2) + quote


def outcomes(batch_definition, frame: pd.DataFrame, suite_name: str, expectations: list):
    """(position in the suite, passed, failing rows) of each expectation validated on `frame`."""
    if not expectations:
        return
    # BASIC: the failing row count without the sample values and partial lists SUMMARY adds (a third faster).
    with configurations_built_once():
        result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(
            gx.ExpectationSuite(name=suite_name, expectations=expectations), result_format="BASIC")
    for outcome in result.results:
        yield (outcome.expectation_config.meta["position"], outcome.success,
               (outcome.result or {}).get("unexpected_count"))


@contextmanager
def configurations_built_once() -> Iterator[None]:
    """GE builds an expectation's configuration anew (a pydantic dict of it, its class name in snake case) every
    time it reads the `configuration` property: over a hundred times per expectation in one validation, a
    fifth of a suite's time. Nothing changes an expectation while it is validated: each is built once."""
    every_time = Expectation.configuration
    built: dict[int, tuple[Expectation, object]] = {}  # by id, the expectation kept so its id stays its own

    def once(expectation: Expectation):
        if id(expectation) not in built:
            built[id(expectation)] = (expectation, every_time.fget(expectation))
        return built[id(expectation)][1]

    Expectation.configuration = property(once)
    try:
        yield
    finally:
        Expectation.configuration = every_time


def partition_key(suite_name: str, expectations: list, dialect: SqlDialect | None = None) -> str:
    """What the chunks are split by: the columns every uniqueness expectation's key contains (so a key's
    rows share a chunk), else the whole row. Refuses what cannot be combined across chunks. `dialect`:
    build.engine's SqlDialect of the tables (DuckDB's when None)."""
    keys = []
    for expectation in expectations:
        kind, kwargs = expectation.configuration.type, expectation.configuration.kwargs
        if kind in UNIQUE_KEY:
            keys.append(UNIQUE_KEY[kind](kwargs))
        elif kind in ROW_BY_ROW:
            if kwargs.get("mostly", 1) != 1:
                raise ValueError(f"suite {suite_name}: {kind} with `mostly` cannot be combined across chunks")
        elif kind not in SAME_IN_EVERY_CHUNK | ON_THE_ROW_COUNT:
            raise ValueError(f"suite {suite_name}: {kind} cannot be combined across chunks "
                             "(orchestration/quality/expectations.py)")
    dialect = dialect or DUCKDB_SQL
    if not keys:
        return dialect.whole_row
    shared = [column for column in keys[0] if all(column in other for other in keys[1:])]
    if not shared:
        raise ValueError(f"suite {suite_name}: its uniqueness expectations share no column to split chunks by")
    return ", ".join(quoted(column, dialect.quote) for column in shared)


def ephemeral_context():
    return gx.get_context(mode="ephemeral", project_config=DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    ))


@cache  # one GE context for the process's pandas validations: each costs tens of milliseconds to make
def pandas_source():
    return ephemeral_context().data_sources.add_pandas("warehouse")


@cache  # one asset per mart (a Dagster UI process validates night after night)
def dataframe_batches(table: str):
    return pandas_source().add_dataframe_asset(table).add_batch_definition_whole_dataframe("whole_table")


def describe(config) -> str:
    kwargs = config.kwargs
    target = kwargs.get("column") or ",".join(kwargs.get("column_list") or []) or ""
    return f"{config.type}({target})"
