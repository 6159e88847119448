"""Resources: the data folder with its DuckDB warehouse (dbt runs in process on the same folder,
build/dbt_runner.py).

The warehouse resource is the one place the Dagster definitions learn which data folder they work on
(`membrana run` passes it in the run's config; `dagster dev` takes MEMBRANA_DATA_DIR or the demo)."""

from contextlib import contextmanager

import dagster as dg
import duckdb

from orchestration.data_folder import DataFolder
from orchestration.warehouse import connect_warehouse


class WarehouseResource(dg.ConfigurableResource):
    """A data folder and its DuckDB warehouse, opened under membrana's memory limit."""

    data_dir: str
    # A DuckDB memory size; unset: MEMBRANA_DUCKDB_MEMORY or 2 GB, the limit dbt's profile takes too.
    memory_limit: str | None = None

    @property
    def folder(self) -> DataFolder:
        return DataFolder(self.data_dir)

    @contextmanager
    def connect(self):
        """The warehouse file, opened for writing; closed when the block ends (DuckDB has one writer)."""
        con: duckdb.DuckDBPyConnection = connect_warehouse(self.folder.warehouse, self.memory_limit)
        try:
            yield con
        finally:
            con.close()
