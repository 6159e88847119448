"""Before any test: the dbt manifest the Dagster definitions read is parsed once, by the process that
starts the run, so parallel test workers (pytest -n) never parse it at the same time. The slowest modules
are handed out first."""

from pathlib import Path

# The modules that take longest (worker seconds on 2 cores, from a `--durations` run), slowest first. `make test`
# gives each worker whole modules in collection order (--dist loadfile --no-loadscope-reorder): started first,
# the long ones overlap the rest instead of leaving one worker busy alone at the end (xdist's own order, by
# test count, put a short Spark module last, and the run lasted 90 s past half the work). A module
# not listed runs after these, in collection order.
SLOWEST_MODULES = [
    "parity/test_spark_cluster.py",  # make spark-ci's two modules
    "parity/test_spark_night.py",
    "e2e/test_faults.py",
    "bench/test_bench.py",
    "e2e/test_soak.py",
    "e2e/test_incremental_staging.py",
    "e2e/test_partial_build.py",
    "e2e/test_concurrent_runs.py",
    "e2e/test_face.py",
    "e2e/test_snapshot_rollback.py",
    "e2e/test_no_calls_home.py",
    "e2e/test_incremental_late_updates.py",
    "e2e/test_incremental_lead_links.py",
    "e2e/test_dagster_dev.py",
    "e2e/test_nothing_new_night.py",
    "e2e/test_run_history.py",
]
TESTS_DIR = Path(__file__).parent


def pytest_configure(config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller prepared the manifest
        # An xdist worker's __main__ has no file: before a test module imports pyspark through Great
        # Expectations, or pyspark takes the worker for a doctest run and exits it.
        from orchestration.quality import name_an_anonymous_main_module

        name_an_anonymous_main_module()
        return
    from orchestration.dbt_manifest import prepare_manifest_if_stale

    prepare_manifest_if_stale()


def pytest_collection_modifyitems(items) -> None:
    rank = {TESTS_DIR / module: place for place, module in enumerate(SLOWEST_MODULES)}
    items.sort(key=lambda item: rank.get(item.path, len(rank)))  # stable: a module's tests keep their order
