"""Where things are: the project's own folders, and a deployment's data folder with everything in it.

A data folder is chosen once, at the edge (the `membrana` command's --data-dir or MEMBRANA_DATA_DIR, or the
Dagster resource in definitions.py), and passed down as a DataFolder; nothing below reads the environment
for it."""

import os
import sys
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
# Where the dbt project and profiles.yml are: beside the package in a source checkout, inside it in an
# installed wheel (setup.py copies them to orchestration/bundled/).
PROJECT_ROOT = PACKAGE_DIR.parent if (PACKAGE_DIR.parent / "dbt_project").is_dir() else PACKAGE_DIR / "bundled"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_CONFIG_DIR = PACKAGE_DIR / "defaults" / "config"
DEMO_DATA_DIR = PROJECT_ROOT / "data" / "demo"
# dbt comes with this Python environment: found even when the venv is not activated (cron, make).
DBT_EXECUTABLE = Path(sys.executable).with_name("dbt")
WAREHOUSE_FILE = "warehouse.duckdb"  # in the data folder


@dataclass(frozen=True)
class DataFolder:
    """A deployment's data folder: landing files and config in, warehouse, logs and published marts out."""

    root: Path
    # Where the run reads its config: the snapshot of config/ taken when it started (nightly/run.py); None: config/
    config_dir: Path | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root).resolve())

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def config(self) -> Path:
        return self.config_dir or self.root / "config"

    @property
    def warehouse(self) -> Path:
        return self.root / WAREHOUSE_FILE

    @property
    def published(self) -> Path:
        return self.root / "published"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def dbt_target(self) -> Path:
        """dbt's target folder for this data folder's runs: run_results.json, compiled SQL, partial parse."""
        return self.logs / "dbt"

    @property
    def check_results(self) -> Path:
        """The last result of each check, replayed by a night with nothing new (quality/replay.py)."""
        return self.logs / "check_results"

    @property
    def raw_parquet(self) -> Path:
        """The raw layer exported as Parquet, where a Spark cluster reads it (build/raw_parquet.py)."""
        return self.root / "raw_parquet"


def data_folder_from_environment() -> DataFolder:
    """$MEMBRANA_DATA_DIR, or the embedded demo folder."""
    return DataFolder(Path(os.environ.get("MEMBRANA_DATA_DIR") or DEMO_DATA_DIR))
