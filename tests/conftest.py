"""Before any test: the dbt manifest the Dagster definitions read is parsed once, by the process that
starts the run, so parallel test workers (pytest -n) never parse it at the same time."""


def pytest_configure(config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller prepared the manifest
        # An xdist worker's __main__ has no file: before a test module imports pyspark through Great
        # Expectations, or pyspark takes the worker for a doctest run and exits it.
        from orchestration.quality import name_an_anonymous_main_module

        name_an_anonymous_main_module()
        return
    from orchestration.dbt_manifest import prepare_manifest_if_stale

    prepare_manifest_if_stale()


# The longest modules (worker seconds of `make test` on 2026-12-05), handed to the test workers first: each
# module runs whole in one worker (--dist loadfile), so one started last would finish long after the rest.
LONGEST_MODULES = {
    "tests/e2e/test_faults.py": 318,
    "tests/parity/test_spark_parity.py": 164,
    "tests/e2e/test_incremental_staging.py": 118,
    "tests/e2e/test_soak.py": 107,
    "tests/bench/test_bench.py": 99,
    "tests/e2e/test_snapshot_rollback.py": 76,
    "tests/e2e/test_concurrent_runs.py": 65,
    "tests/e2e/test_incremental_late_updates.py": 63,
}


def pytest_collection_modifyitems(config, items) -> None:
    """Longest modules first, the rest in their usual order (a stable sort keeps each module's tests in order)."""
    items.sort(key=lambda item: -LONGEST_MODULES.get(item.nodeid.split("::")[0], 0))
