"""The dbt project as Dagster sees it. The manifest is parsed when missing (and on every change under
`dagster dev`), with dbt's partial parsing so that a re-parse costs little."""

import hashlib
import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.data_folder import DBT_PROJECT_DIR, PROJECT_ROOT, data_dir, use_data_dir

# dbt comes with this Python environment; find it even when the venv is not activated (cron, make).
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
# profiles.yml reads MEMBRANA_DATA_DIR; make it absolute before dbt ever runs.
use_data_dir(data_dir())

membrana_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=PROJECT_ROOT)


def prepare_manifest() -> None:
    """Parses the dbt project into target/manifest.json (partial parsing keeps this fast)."""
    membrana_dbt_project.preparer.prepare(membrana_dbt_project)


def dbt_project_files() -> list[Path]:
    files = [DBT_PROJECT_DIR / "dbt_project.yml", PROJECT_ROOT / "profiles.yml"]
    for folder in ("models", "macros", "tests", "analyses"):
        files += sorted(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return files


def manifest_is_stale() -> bool:
    """True when the manifest is missing or older than any file of the dbt project."""
    manifest = membrana_dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    return any(path.stat().st_mtime > built for path in dbt_project_files())


def dbt_project_fingerprint() -> str:
    """A hash of the dbt project a build runs (its files, profiles.yml and the target engine)."""
    digest = hashlib.sha256(os.environ.get("MEMBRANA_TARGET", "duckdb").encode())
    for path in dbt_project_files():
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


if manifest_is_stale():
    prepare_manifest()
