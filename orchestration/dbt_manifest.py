"""The dbt project's parsed manifest (target/manifest.json, and target/semantic_manifest.json for the metrics
layer), parsed again when a file of the project changed. Without Dagster: `membrana metrics` needs the
semantic manifest and not the seconds dagster-dbt takes to import (orchestration/project.py builds on this)."""

import hashlib
import os
import subprocess
from pathlib import Path

from orchestration.build.dbt_environment import DBT_SENDS_NOTHING, SAME_PROFILE_FOR_EVERY_FOLDER
from orchestration.data_folder import DBT_EXECUTABLE, DBT_PROJECT_DIR, PROJECT_ROOT

DBT_TARGET_DIR = DBT_PROJECT_DIR / "target"  # dagster-dbt's DbtProject default, where it reads the manifest
MANIFEST_PATH = DBT_TARGET_DIR / "manifest.json"
SEMANTIC_MANIFEST_PATH = DBT_TARGET_DIR / "semantic_manifest.json"
# dbt's saved parse of the project: where a data folder's first build starts (build/dbt_runner.py)
PROJECT_PARSE_PATH = DBT_TARGET_DIR / "partial_parse.msgpack"


def dbt_project_files() -> list[Path]:
    files = [DBT_PROJECT_DIR / "dbt_project.yml", PROJECT_ROOT / "profiles.yml"]
    for folder in ("models", "macros", "tests", "analyses"):
        files += sorted(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return files


def manifest_is_stale() -> bool:
    """True when the manifest is missing or older than any file of the dbt project."""
    if not MANIFEST_PATH.exists() or not SEMANTIC_MANIFEST_PATH.exists():
        return True
    built = MANIFEST_PATH.stat().st_mtime
    return any(path.stat().st_mtime > built for path in dbt_project_files())


def prepare_manifest_if_stale() -> None:
    """Parses the dbt project into target/manifest.json when a file of it changed since the last parse."""
    if not manifest_is_stale():
        return
    parsed = subprocess.run(
        [str(DBT_EXECUTABLE), "parse", "--quiet", "--no-send-anonymous-usage-stats", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(PROJECT_ROOT), "--target-path", str(DBT_TARGET_DIR)],
        capture_output=True, text=True, check=False,
        env={**os.environ, **SAME_PROFILE_FOR_EVERY_FOLDER, "MEMBRANA_LOADED_AFTER": "", **DBT_SENDS_NOTHING},
    )
    if parsed.returncode != 0:
        lines = (parsed.stdout + parsed.stderr).strip().splitlines()
        raise RuntimeError(f"dbt parse failed: {next((line for line in lines if 'rror' in line), lines[-1] if lines else 'no output')}")


def dbt_project_fingerprint() -> str:
    """A hash of the dbt project a build runs (its files, profiles.yml and the target engine, which
    profiles.yml takes from MEMBRANA_TARGET)."""
    digest = hashlib.sha256(os.environ.get("MEMBRANA_TARGET", "duckdb").encode())
    for path in dbt_project_files():
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
