"""Resources: the data folder with its DuckDB warehouse (dbt runs in process on the same folder,
build/dbt_runner.py), and the tables dbt builds, in that warehouse or on Spark (build/engine.py).

The warehouse resource is the one place the Dagster definitions learn which data folder they work on
(`membrana run` passes it in the run's config; `dagster dev` takes MEMBRANA_DATA_DIR or the demo).

It is also where a run takes the data folder's run lock (nightly/run_lock.py): Dagster sets a resource up
once per run with the in-process executor and tears it down after the last step, so a run launched from
the UI, by the schedule or by a sensor holds the folder from its first step to its last, and fails at once
with one line naming the run that holds it. `membrana run` holds the lock already; the resource then holds
it once more in the same process."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.build.engine import built_tables
from orchestration.data_folder import DataFolder
from orchestration.nightly.run_lock import run_lock
from orchestration.warehouse import connect_warehouse


class WarehouseResource(dg.ConfigurableResource):
    """A data folder and its DuckDB warehouse, opened under membrana's memory limit."""

    data_dir: str
    # The copy of config/ a `membrana run` reads from start to end (nightly/run.py); unset: config/ itself.
    config_dir: str | None = None
    # A DuckDB memory size; unset: MEMBRANA_DUCKDB_MEMORY or 2 GB, the limit dbt's profile takes too.
    memory_limit: str | None = None

    @property
    def folder(self) -> DataFolder:
        return DataFolder(self.data_dir, config_dir=self.config_dir and Path(self.config_dir))

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator["WarehouseResource"]:
        """In a run: the run lock for the run's whole length. Outside a run (a sensor's evaluation, a
        test building the resource): no lock, so a sensor can still look at landing/ during a run."""
        run = context.run
        if run is None:
            with super().yield_for_execution(context) as resource:
                yield resource
            return
        with run_lock(self.folder, command=f"Dagster run {run.run_id} of {run.job_name}"), \
                super().yield_for_execution(context) as resource:
            yield resource

    @contextmanager
    def connect(self):
        """The warehouse file, opened for writing; closed when the block ends (DuckDB has one writer)."""
        con: duckdb.DuckDBPyConnection = connect_warehouse(self.folder.warehouse, self.memory_limit)
        try:
            yield con
        finally:
            con.close()

    def built_tables(self):
        """dbt's tables where this night builds them (build/engine.py): the warehouse, or Spark."""
        return built_tables(self.folder, self.memory_limit)
