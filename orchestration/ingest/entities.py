"""The canonical raw entities and config files of CONTRACT.md: their columns and which are required.

Read from their one declaration, the raw and config sources of dbt_project/models/staging/_sources.yml
(dbt's macros read the same columns there): a table's columns in file order, `required` in a column's
meta, the description of the raw table.
"""

from dataclasses import dataclass

import yaml

from orchestration.data_folder import DBT_PROJECT_DIR

SOURCES_FILE = DBT_PROJECT_DIR / "models" / "staging" / "_sources.yml"


@dataclass(frozen=True)
class Entity:
    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]
    description: str


def declared_tables(sources: list[dict], source_name: str) -> list[dict]:
    """The tables of a source of _sources.yml, as declared."""
    return next(source["tables"] for source in sources if source["name"] == source_name)


def entity_of(table: dict) -> Entity:
    columns = table["columns"]
    return Entity(
        name=table["name"],
        columns=tuple(column["name"] for column in columns),
        required=tuple(column["name"] for column in columns
                       if column.get("config", {}).get("meta", {}).get("required")),
        description=table["description"],
    )


DECLARED_SOURCES = yaml.safe_load(SOURCES_FILE.read_text(encoding="utf-8"))["sources"]

ENTITIES = {table["name"]: entity_of(table) for table in declared_tables(DECLARED_SOURCES, "raw")}

CONFIG_FILES = {table["name"]: tuple(column["name"] for column in table["columns"])
                for table in declared_tables(DECLARED_SOURCES, "config")}
