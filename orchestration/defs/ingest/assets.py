"""Ingest: one asset per raw entity (landing/<entity>/* → raw.<entity>) and per config file
(config/<name>.csv, or the shipped default → config.<name>). Keys match the dbt sources
(["raw", "contacts"], ["config", "channels"]) so the lineage joins up with the dbt models."""

from datetime import datetime

import dagster as dg

from orchestration.data_folder import DEFAULT_CONFIG_DIR
from orchestration.defs.resources import WarehouseResource
from orchestration.ingest.entities import CONFIG_FILES, ENTITIES
from orchestration.ingest.landing import load_config, load_entity_and_sources


def make_raw_asset(entity_name: str) -> dg.AssetsDefinition:
    entity = ENTITIES[entity_name]

    @dg.asset(
        key=["raw", entity_name],
        group_name="raw",
        description=f"{entity.description} Every file of landing/{entity_name}/, and of each landing/<source>/ "
        f"whose config/mappings/<source>.yml maps it onto {entity_name}, loaded as text, with its file, "
        "line and load time; files already loaded are skipped.",
        owners=["team:data"],
        kinds={"duckdb"},
    )
    def raw_entity(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        loaded_at, folder = datetime.now(), warehouse.folder
        with warehouse.connect() as con:
            loads = load_entity_and_sources(con, entity_name, folder.landing, folder.config, loaded_at)
            total_rows = con.execute(f"select count(*) from raw.{entity_name}").fetchone()[0]
        new = [load for load in loads if load.status != "unchanged"]
        for load in new:
            context.log.info(f"{load.status} {load.path}: {load.rows} rows")
            for note in load.notes:
                context.log.warning(note)
        return dg.MaterializeResult(
            metadata={
                "files_in_landing": len(loads),
                "files_loaded_now": len(new),
                "rows_loaded_now": sum(load.rows for load in new),
                "rows_in_raw": total_rows,
                # extra columns kept, mapped columns absent, totals rows skipped: said once, when loaded
                "load_notes": dg.MetadataValue.md("\n".join(f"- {note}" for load in new for note in load.notes)
                                                  or "none"),
            }
        )

    return raw_entity


def make_config_asset(name: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=["config", name],
        group_name="raw",
        description=f"config/{name}.csv of the data folder, or the shipped default when the folder has none.",
        owners=["team:data"],
        kinds={"duckdb"},
    )
    def config_table(warehouse: WarehouseResource) -> dg.MaterializeResult:
        with warehouse.connect() as con:
            used = load_config(con, name, warehouse.folder.config, DEFAULT_CONFIG_DIR)
            rows = con.execute(f"select count(*) from config.{name}").fetchone()[0]
        return dg.MaterializeResult(metadata={"file": str(used), "rows": rows})

    return config_table


raw_assets = [make_raw_asset(entity_name) for entity_name in ENTITIES]
config_assets = [make_config_asset(name) for name in CONFIG_FILES]
