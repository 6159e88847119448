"""What the last successful dbt build covered, so the next one rebuilds only what changed.

Kept in `audit.build_state` of the warehouse: `built_through` (the newest raw load time the last
successful build saw), `config_fingerprint` (the config files it used), `dbt_project_fingerprint`
(the dbt project it ran), `built_on` (the dbt target whose tables it built: duckdb, spark),
`needs_full_refresh` (set by the loader when a file was replaced and rows that were counted disappeared)
and `last_build_passed`, which the publish step requires. Another config, another dbt project, a replaced
file or another engine rebuilds everything: the tables of one engine know nothing of a night built on the
other (a data folder tried on Spark, then built on DuckDB again).
"""

from dataclasses import dataclass

import duckdb

from orchestration.ingest.landing import ensure_schemas


@dataclass(frozen=True)
class BuildPlan:
    full_refresh: bool
    loaded_after: str | None  # raw rows loaded after this timestamp are new
    reason: str
    nothing_new: bool = False  # the last build passed on the same rows, config and dbt project: nothing to build
    new_rows_in: frozenset[str] = frozenset()  # an incremental build: the raw entities with rows after loaded_after


def read_state(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    ensure_schemas(con)
    return dict(con.execute("select state_key, state_value from audit.build_state").fetchall())


def plan_build(con, config_fingerprint: str, dbt_project_fingerprint: str, newest_load: str, *, engine: str,
               force_full_refresh: bool = False) -> BuildPlan:
    """`engine`: the dbt target this build runs on (build/engine.py's dbt_target())."""
    state = read_state(con)
    if force_full_refresh:
        return BuildPlan(True, None, "full refresh asked for")
    if "built_through" not in state:
        return BuildPlan(True, None, "first build")
    if state.get("built_on") != engine:
        # Its incremental tables and watermark are the other engine's: this engine's are older, or absent.
        last = f"on {state['built_on']}" if "built_on" in state else "before membrana recorded the engine"
        return BuildPlan(True, None, f"the last build was {last}, this one is on {engine}")
    if state.get("config_fingerprint") != config_fingerprint:
        return BuildPlan(True, None, "config changed")
    # Incremental models keep rows that an earlier build's SQL typed and chose: another project redoes them.
    if state.get("dbt_project_fingerprint") != dbt_project_fingerprint:
        return BuildPlan(True, None, "dbt project changed")
    if state.get("needs_full_refresh") == "true":
        return BuildPlan(True, None, "a loaded file was replaced")
    if state["built_through"] == newest_load and state.get("last_build_passed") == "true":
        return BuildPlan(False, state["built_through"], f"no rows loaded since {state['built_through']}, "
                         "config and dbt project unchanged", nothing_new=True)
    return BuildPlan(False, state["built_through"], f"rows loaded after {state['built_through']}",
                     new_rows_in=sources_loaded_after(con, state["built_through"]))


def newest_load(con) -> str:
    ensure_schemas(con)
    newest = con.execute("select max(loaded_at) from audit.load_manifest").fetchone()[0]
    return str(newest) if newest else "1900-01-01 00:00:00"


def sources_loaded_after(con, watermark: str) -> frozenset[str]:
    """The raw entities (contacts, ad_spend, …) with a file loaded after the watermark."""
    return frozenset(entity for (entity,) in con.execute(
        "select distinct entity from audit.load_manifest where loaded_at > cast(? as timestamp)", [watermark]
    ).fetchall())


def mark_build_started(con) -> None:
    """Until this build passes, nothing may be published (write-audit-publish)."""
    ensure_schemas(con)
    con.execute("insert or replace into audit.build_state values ('last_build_passed', 'false')")


def last_build_passed(con) -> bool:
    return read_state(con).get("last_build_passed") == "true"


def record_build(con, built_through: str, config_fingerprint: str, dbt_project_fingerprint: str, *,
                 engine: str) -> None:
    con.execute("insert or replace into audit.build_state values ('last_build_passed', 'true')")
    con.execute("insert or replace into audit.build_state values ('built_through', ?)", [built_through])
    con.execute("insert or replace into audit.build_state values ('config_fingerprint', ?)", [config_fingerprint])
    con.execute("insert or replace into audit.build_state values ('needs_full_refresh', 'false')")
    con.execute("insert or replace into audit.build_state values ('dbt_project_fingerprint', ?)",
                [dbt_project_fingerprint])
    con.execute("insert or replace into audit.build_state values ('built_on', ?)", [engine])


# --- on Spark: the build state kept beside the tables too ----------------------------------------------------

# On Spark the tables live in the Spark warehouse (a cluster's storage), apart from warehouse.duckdb: they can
# be replaced or restored without it (another data folder's Spark warehouse, a backup). A copy of the build
# state in a Spark table travels with them; a night builds on them incrementally only when both agree.
ENGINE_STATE_TABLE = "audit.build_state"
ENGINE_STATE_KEYS = ("built_through", "config_fingerprint", "dbt_project_fingerprint", "built_on")


def read_engine_state(tables) -> dict[str, str]:
    """The build state beside the tables (build.engine.SparkTables); empty when there is none yet."""
    if not tables.has_table(ENGINE_STATE_TABLE):
        return {}
    return dict(tables.execute(f"select state_key, state_value from {ENGINE_STATE_TABLE}").fetchall())


def record_engine_state(tables, state: dict[str, str]) -> None:
    """After record_build: the recorded build's identity beside the tables it built."""
    rows = ", ".join(f"({sql_text(key)}, {sql_text(state[key])})" for key in ENGINE_STATE_KEYS)
    tables.execute(f"create table if not exists {ENGINE_STATE_TABLE} (state_key string, state_value string) "
                   "using parquet")
    tables.execute(f"insert overwrite table {ENGINE_STATE_TABLE} values {rows}")


def sql_text(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def plan_on_engine_tables(plan: BuildPlan, recorded: dict[str, str], on_engine: dict[str, str]) -> BuildPlan:
    """The plan from the warehouse's build state (`recorded`), kept only if the engine's tables carry the same
    build (`on_engine`): else they are not the ones that build left, and everything is rebuilt."""
    if plan.full_refresh or all(on_engine.get(key) == recorded.get(key) for key in ENGINE_STATE_KEYS):
        return plan
    found = f"built through {on_engine['built_through']}" if on_engine.get("built_through") else "no build state"
    return BuildPlan(True, None, f"the {recorded.get('built_on')} tables are not those of the last build "
                     f"(built through {recorded.get('built_through')}): they carry {found}")
