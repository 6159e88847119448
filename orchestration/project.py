"""The dbt project as Dagster sees it. Nothing runs on import: the manifest is parsed by
`prepare_manifest_if_stale()` (orchestration/dbt_manifest.py), which loading the definitions calls (dbt's
partial parsing keeps it cheap)."""

from dagster_dbt import DbtProject

from orchestration.data_folder import DBT_PROJECT_DIR, PROJECT_ROOT

membrana_dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=PROJECT_ROOT)  # target/: DBT_TARGET_DIR
