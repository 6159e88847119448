"""The dbt project as Dagster sees it. The manifest is parsed when missing (and on every change under
`dagster dev`), with dbt's partial parsing so that a re-parse costs little."""

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.lib.paths import DBT_PROJECT_DIR, PROJECT_ROOT, data_dir, use_data_dir

# dbt comes with this Python environment; find it even when the venv is not activated (cron, make).
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
# profiles.yml reads MEMBRANA_DATA_DIR; make it absolute before dbt ever runs.
use_data_dir(data_dir())

membrana_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=PROJECT_ROOT)


def prepare_manifest() -> None:
    """Parses the dbt project into target/manifest.json (partial parsing keeps this fast)."""
    membrana_dbt_project.preparer.prepare(membrana_dbt_project)


if not membrana_dbt_project.manifest_path.exists():
    prepare_manifest()
else:
    membrana_dbt_project.prepare_if_dev()
