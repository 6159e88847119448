"""Staging is incremental: a night types only the raw rows loaded since the last build (base_crm__*) and
recomputes only the records with new versions (stg_crm__*). Shown by editing the warehouse between
nights where only a rebuild from scratch would read it: an old raw row, which base_crm__contacts must
not type again, and an old typed version, from which stg_crm__contacts must not recompute a contact
that has nothing new. A build retried after one that failed appends nothing twice,
`membrana run --full-refresh` rebuilds both models from the raw rows, and so does a night after a build on
another engine (the folder tried on Spark), even with no row loaded since."""

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from tests.support.membrana import run_membrana, run_ok, write_files

CONTACTS = "contact_id,received_at,contact_type,source,medium,campaign,client_key,lead_id,updated_at\n"
FIRST_NIGHT = {
    "landing/contacts/contacts_2026-09-30.csv": CONTACTS
    + "k1,2026-09-01 10:00:00,call,yandex,cpc,autumn,,l1,2026-09-01 10:00:00\n"
    + "k2,2026-09-02 10:00:00,call,yandex,cpc,autumn,,,2026-09-02 10:00:00\n"
    + "k3,2026-09-03 10:00:00,call,yandex,cpc,autumn,,,2026-09-03 10:00:00\n",
    "landing/leads/leads_2026-09-30.csv": "lead_id,created_at,client_key,source,medium,campaign,status,"
    "operator_id,manager_id,updated_at\n" + "l1,2026-09-01 11:00:00,,yandex,cpc,autumn,new,op1,m1,2026-09-01 11:00:00\n",
    "landing/meetings/meetings_2026-09-30.csv": "lead_id,meeting_id,booked_at,scheduled_at,status,manager_id,"
    "updated_at\n" + "l1,m1,2026-09-02 09:00:00,2026-09-25 10:00:00,planned,m1,2026-09-02 09:00:00\n",
    "landing/deals/deals_2026-09-30.csv": "deal_id,lead_id,client_key,created_at,closed_at,status,amount,"
    "currency,updated_at\n" + "d1,l1,,2026-09-03 10:00:00,,open,50000,RUB,2026-09-03 10:00:00\n",
}
# k3 moves to another campaign; k4 is new
SECOND_NIGHT = {
    "landing/contacts/contacts_2026-10-31.csv": CONTACTS
    + "k3,2026-09-03 10:00:00,call,yandex,cpc,winter,,,2026-10-01 10:00:00\n"
    + "k4,2026-10-04 10:00:00,call,yandex,cpc,winter,,,2026-10-04 10:00:00\n",
}
THIRD_NIGHT = {
    "landing/contacts/contacts_2026-11-30.csv": CONTACTS
    + "k5,2026-11-05 10:00:00,call,yandex,cpc,winter,,,2026-11-05 10:00:00\n",
}


def warehouse(data_dir, read_only=True) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=read_only)


def staging_snapshot(data_dir) -> dict:
    """What the tests look at after a night: k1's typed campaign (its one version), each staged contact's
    campaign, and the (file, line) of every row of base_crm__contacts and of raw.contacts."""
    with warehouse(data_dir) as con:
        def rows(sql):
            return con.execute(sql).fetchall()
        return {
            "k1 typed": rows("select campaign from staging.base_crm__contacts where contact_id = 'k1'"),
            "staged": dict(rows("select contact_id, campaign from staging.stg_crm__contacts")),
            "typed rows": rows("select source_file, source_line from staging.base_crm__contacts order by all"),
            "raw rows": rows("select source_file, source_line from raw.contacts order by all"),
        }


@pytest.fixture(scope="module")
def first_night(tmp_path_factory) -> tuple[Path, Path]:
    """Night one, built once for the module at one path, and an untouched copy of the folder."""
    base = tmp_path_factory.mktemp("incremental_staging")
    data_dir, pristine = base / "company", base / "pristine"
    write_files(data_dir, FIRST_NIGHT)
    run_ok(data_dir)
    shutil.copytree(data_dir, pristine, symlinks=True)
    return data_dir, pristine


def after_night_one(first_night) -> Path:
    """The folder as night one left it, put back at the same path (the warehouse knows its files by path;
    copy2 keeps their times, so no file looks new)."""
    data_dir, pristine = first_night
    shutil.rmtree(data_dir)
    shutil.copytree(pristine, data_dir, symlinks=True)
    return data_dir


@pytest.fixture(scope="module")
def nights(first_night) -> dict[str, dict]:
    """Night one; the warehouse edited where only a rebuild would look; night two; a third night after a
    build that failed; a full refresh. The staging snapshot after each of the last three."""
    data_dir = after_night_one(first_night)
    with warehouse(data_dir, read_only=False) as con:
        night_one_watermark = con.execute(
            "select state_value from audit.build_state where state_key = 'built_through'"
        ).fetchone()[0]
        con.execute("update raw.contacts set campaign = 'edited in raw' where contact_id = 'k1'")
        con.execute("update staging.base_crm__contacts set campaign = 'edited in base' where contact_id = 'k2'")
    write_files(data_dir, SECOND_NIGHT)
    run_ok(data_dir)
    snapshots = {"second night": staging_snapshot(data_dir)}
    # What a build that failed after staging leaves: the watermark of the last passed build, so the
    # retry sees night two's rows as new again while base_crm__contacts holds them already.
    with warehouse(data_dir, read_only=False) as con:
        con.execute("update audit.build_state set state_value = ? where state_key = 'built_through'",
                    [night_one_watermark])
        con.execute("update audit.build_state set state_value = 'false' where state_key = 'last_build_passed'")
    write_files(data_dir, THIRD_NIGHT)
    run_ok(data_dir)
    snapshots["retried night"] = staging_snapshot(data_dir)
    run_ok(data_dir, "--full-refresh")
    snapshots["full refresh"] = staging_snapshot(data_dir)
    # The last build recorded as Spark's (MEMBRANA_TARGET=spark): DuckDB's tables are not that build's
    with warehouse(data_dir, read_only=False) as con:
        con.execute("update raw.contacts set campaign = 'edited in raw' where contact_id = 'k2'")
        con.execute("update audit.build_state set state_value = 'spark' where state_key = 'built_on'")
    run_ok(data_dir)
    snapshots["after a build on spark"] = staging_snapshot(data_dir)
    return snapshots


def test_a_night_types_only_the_new_raw_rows(nights):
    second = nights["second night"]
    assert second["k1 typed"] == [("autumn",)]  # typed on night one, not again from its edited raw row
    assert second["typed rows"] == second["raw rows"]
    assert len(second["raw rows"]) == 5


def test_a_night_recomputes_only_the_contacts_with_new_versions(nights):
    # k2 was not recomputed from its edited version; k3 was, from its new one
    assert nights["second night"]["staged"] == {"k1": "autumn", "k2": "autumn", "k3": "winter", "k4": "winter"}


def test_a_build_retried_after_a_failure_appends_no_row_twice(nights):
    retried = nights["retried night"]
    assert retried["typed rows"] == retried["raw rows"]
    assert len(retried["raw rows"]) == 6
    assert retried["staged"] == {"k1": "autumn", "k2": "autumn", "k3": "winter", "k4": "winter", "k5": "winter"}


def test_a_full_refresh_rebuilds_staging_from_the_raw_rows(nights):
    rebuilt = nights["full refresh"]
    assert rebuilt["k1 typed"] == [("edited in raw",)]
    assert rebuilt["typed rows"] == rebuilt["raw rows"]
    assert rebuilt["staged"] == {"k1": "edited in raw", "k2": "autumn", "k3": "winter", "k4": "winter", "k5": "winter"}


def test_a_night_after_a_build_on_another_engine_rebuilds_staging_from_the_raw_rows(nights):
    rebuilt = nights["after a build on spark"]
    assert rebuilt["typed rows"] == rebuilt["raw rows"]
    assert rebuilt["staged"] == {"k1": "edited in raw", "k2": "edited in raw", "k3": "winter", "k4": "winter",
                                 "k5": "winter"}


def test_a_build_of_some_models_leaves_the_watermark_for_the_next_whole_build(first_night, monkeypatch):
    """A subset picked in the Dagster UI (load contacts, type them into base_crm__contacts) must not move
    the watermark: stg_crm__contacts, which it skipped, would then never stage the night's contacts."""
    import dagster as dg

    data_dir = after_night_one(first_night)
    with warehouse(data_dir) as con:
        built_through = con.execute(
            "select state_value from audit.build_state where state_key = 'built_through'").fetchone()
    write_files(data_dir, SECOND_NIGHT)

    monkeypatch.setenv("MEMBRANA_DATA_DIR", str(data_dir))
    from orchestration.definitions import defs
    subset = defs().resolve_job_def("nightly_job").get_subset(
        asset_selection={dg.AssetKey(["raw", "contacts"]), dg.AssetKey(["staging", "base_crm__contacts"])})
    assert subset.execute_in_process(raise_on_error=False).success
    with warehouse(data_dir) as con:
        state = dict(con.execute("select state_key, state_value from audit.build_state").fetchall())
        typed = {row[0] for row in con.execute("select contact_id from staging.base_crm__contacts").fetchall()}
    assert "k4" in typed  # the subset did load and type the new file
    assert (state["built_through"],) == built_through
    assert state["last_build_passed"] == "false"  # nothing is published from a half-built warehouse

    run_ok(data_dir)
    staged = staging_snapshot(data_dir)["staged"]
    assert staged["k3"] == "winter" and "k4" in staged


def test_a_night_finds_an_old_file_s_line_loaded_again(first_night):
    """The night's raw test checks only the files it loaded rows of, but every line of them: a first-night
    line loaded a second time (as a loader that forgot the first load would) fails it, by name."""
    data_dir = after_night_one(first_night)
    with warehouse(data_dir, read_only=False) as con:
        con.execute("""
            insert into raw.contacts
            select * replace (timestamp '2100-01-01' as loaded_at) from raw.contacts where contact_id = 'k2'
        """)
    write_files(data_dir, SECOND_NIGHT)
    result = run_membrana("run", data_dir=data_dir)
    assert result.returncode != 0
    results = json.loads((data_dir / "logs" / "dbt" / "run_results.json").read_text())["results"]

    def outcome(source: str) -> list[str]:
        return [r["status"] for r in results if f"one_row_per_file_line_raw_{source}" in r["unique_id"]]

    assert outcome("contacts") == ["fail"]
    assert outcome("leads") == []  # no leads file loaded: nothing for its test to check, so it does not run
