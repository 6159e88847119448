"""Where things are: the project's own folders and the data folder chosen by MEMBRANA_DATA_DIR."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DEFAULT_CONFIG_DIR = PROJECT_ROOT / "orchestration" / "defaults" / "config"
DEMO_DATA_DIR = PROJECT_ROOT / "data" / "demo"


def data_dir() -> Path:
    """The deployment's data folder: $MEMBRANA_DATA_DIR, or the embedded demo folder."""
    return Path(os.environ.get("MEMBRANA_DATA_DIR") or DEMO_DATA_DIR).resolve()


def use_data_dir(path: Path) -> Path:
    """Points this process and the dbt runs it starts at `path` (made absolute, as profiles.yml expects)."""
    resolved = Path(path).resolve()
    os.environ["MEMBRANA_DATA_DIR"] = str(resolved)
    return resolved


def landing_dir() -> Path:
    return data_dir() / "landing"


def config_dir() -> Path:
    return data_dir() / "config"


def warehouse_path() -> Path:
    return data_dir() / "warehouse.duckdb"


def published_dir() -> Path:
    return data_dir() / "published"


def dbt_target_dir() -> Path:
    """dbt's target folder for this data folder's runs: run_results.json, compiled SQL, partial parse."""
    return data_dir() / "logs" / "dbt"
