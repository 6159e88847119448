"""Before any test: the dbt manifest the Dagster definitions read is parsed once, by the process that
starts the run, so parallel test workers (pytest -n) never parse it at the same time."""

import sys


def pytest_configure(config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller prepared the manifest
        # An xdist worker's __main__ has neither a spec nor a file; pyspark (imported by Great
        # Expectations) takes that for a doctest run and exits the process. Name the worker's __main__.
        main = sys.modules["__main__"]
        if getattr(main, "__spec__", None) is None and not hasattr(main, "__file__"):
            main.__file__ = "pytest-xdist-worker"
        return
    from orchestration.project import prepare_manifest_if_stale

    prepare_manifest_if_stale()
