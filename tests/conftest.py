"""Before any test: the dbt manifest the Dagster definitions read is parsed once, by the process that
starts the run, so parallel test workers (pytest -n) never parse it at the same time."""


def pytest_configure(config) -> None:
    if hasattr(config, "workerinput"):  # a pytest-xdist worker: the controller prepared it already
        return
    from orchestration.project import prepare_manifest_if_stale

    prepare_manifest_if_stale()
