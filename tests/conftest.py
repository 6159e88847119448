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
