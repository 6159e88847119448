"""Runs a Great Expectations suite (GE 1.x, ephemeral context: the suites are code, nothing is stored
in a GE project folder) on a mart read from the warehouse, and sums up the result by severity."""

import os
from dataclasses import dataclass

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")  # no usage statistics sent from a nightly job

import great_expectations as gx
from great_expectations.data_context.types.base import (
    DataContextConfig,
    InMemoryStoreBackendDefaults,
    ProgressBarsConfig,
)


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

    @property
    def blocking_failures(self) -> list[FailedExpectation]:
        return [failure for failure in self.failed if failure.severity == "critical"]


def validate_table(con, table: str, suite: gx.ExpectationSuite) -> SuiteResult:
    """Validates `table` of the warehouse (a mart: small, one row per day × channel at most) with `suite`."""
    frame = con.execute(f"select * from {table}").df()
    context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    ))
    batch_definition = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(table)
        .add_batch_definition_whole_dataframe("whole_table")
    )
    # BASIC: the failing row count without the sample values and partial lists SUMMARY adds (a third faster).
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite, result_format="BASIC")
    failed = [
        FailedExpectation(
            describe(outcome.expectation_config),
            str(outcome.expectation_config.severity.value),
            (outcome.result or {}).get("unexpected_count"),
        )
        for outcome in result.results
        if not outcome.success
    ]
    return SuiteResult(suite.name, len(result.results), failed)


def describe(config) -> str:
    kwargs = config.kwargs
    target = kwargs.get("column") or ",".join(kwargs.get("column_list") or []) or ""
    return f"{config.type}({target})"
