"""Resources: the dbt CLI on the project's profiles.yml. The warehouse is always
$MEMBRANA_DATA_DIR/warehouse.duckdb, for the loaders and for dbt alike."""

from dagster_dbt import DbtCliResource

from orchestration.project import membrana_dbt_project

dbt_resource = DbtCliResource(project_dir=membrana_dbt_project)
