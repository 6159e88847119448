"""The snapshot history (publish/history.py) and rollback (publish/rollback.py) on small hand-made warehouses:
each publish is kept with its files and rows, the oldest beyond `keep` go, and a rollback republishes exactly
an earlier snapshot — its DuckDB file, Parquet files and dashboard — without disturbing an open reader."""

import json
import os

import duckdb
import pytest

from orchestration.cli import EXIT_BAD_INPUT, EXIT_NOT_PUBLISHED, main
from orchestration.data_folder import DEFAULT_CONFIG_DIR, DataFolder
from orchestration.nightly.run_history import read_run_history
from orchestration.nightly.run_lock import RunInProgress
from orchestration.publish.history import (
    SnapshotHistoryError,
    attach_to_snapshot,
    current_snapshot,
    entry_dir,
    entry_ids,
    find_snapshot,
    snapshots_to_keep,
)
from orchestration.publish.rollback import (
    NoSnapshotToRollBackTo,
    UnknownSnapshot,
    format_snapshots,
    list_snapshots,
    rollback,
)
from orchestration.publish.snapshot import publish_marts
from tests.support.lock_holder import LockHolder

MARTS = ("funnel_daily", "kpi_monthly")


def build_night(folder: DataFolder, night: int) -> None:
    """Night n: each mart holds n + its index rows tagged n; the manifest lists files 1..n of contacts."""
    with duckdb.connect(str(folder.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists audit")
        for index, mart in enumerate(MARTS):
            con.execute(f"create or replace table marts.{mart} as select {night} as night, range as n "
                        f"from range({night + index})")
        con.execute("create or replace table audit.quarantine as select 'x' as reason")
        con.execute("create or replace table audit.load_manifest (entity varchar, file_path varchar, rows_loaded bigint)")
        for file_number in range(1, night + 1):
            con.execute("insert into audit.load_manifest values ('contacts', ?, ?)",
                        [str(folder.landing / "contacts" / f"night_{file_number}.csv"), 10 * file_number])


def publish_night(folder: DataFolder, night: int, keep: int = 7) -> str:
    """Builds and publishes night n with a dashboard of its own; returns the snapshot's id."""
    build_night(folder, night)
    publish_marts(folder.warehouse, folder.published, marts=MARTS, keep=keep)
    dashboard = folder.published / "dashboard.html"
    temporary = dashboard.with_name(".dashboard.tmp")
    temporary.write_text(f"<html>night {night}</html>")
    os.replace(temporary, dashboard)  # as write_dashboard does
    snapshot_id = current_snapshot(folder.published)["id"]
    attach_to_snapshot(folder.published, snapshot_id, [dashboard])
    return snapshot_id


def published_nights(folder: DataFolder) -> dict[str, set[int]]:
    """The night tag each published output holds, each read on its own."""
    with duckdb.connect() as con:
        con.execute(f"attach '{folder.published / 'membrana.duckdb'}' as snap (read_only)")
        duck = {night for mart in MARTS for (night,) in con.execute(f"select distinct night from snap.marts.{mart}").fetchall()}
    parquet = {night for mart in MARTS for (night,) in
               duckdb.sql(f"select distinct night from '{folder.published / 'parquet' / (mart + '.parquet')}'").fetchall()}
    return {"duckdb": duck, "parquet": parquet, "dashboard": {int((folder.published / "dashboard.html").read_text()
                                                                   .removeprefix("<html>night ").removesuffix("</html>"))}}


@pytest.fixture
def folder(tmp_path):
    data = DataFolder(tmp_path / "company")
    data.config.mkdir(parents=True)
    return data


def test_every_publish_is_kept_until_there_are_more_than_keep(folder):
    ids = [publish_night(folder, night, keep=2) for night in (1, 2, 3)]
    assert len(set(ids)) == 3 and ids == sorted(ids)
    assert entry_ids(folder.published) == ids[1:]
    assert not entry_dir(folder.published, ids[0]).exists()
    for snapshot_id, night in zip(ids[1:], (2, 3)):
        with duckdb.connect(str(entry_dir(folder.published, snapshot_id) / "membrana.duckdb"), read_only=True) as con:
            assert con.execute("select distinct night from marts.kpi_monthly").fetchall() == [(night,)]
        assert (entry_dir(folder.published, snapshot_id) / "dashboard.html").read_text() == f"<html>night {night}</html>"
    assert current_snapshot(folder.published) == {"id": ids[2], "since": current_snapshot(folder.published)["since"],
                                                  "rollback": None}
    assert not list((folder.published / "history").glob(".*"))  # no entry or pointer left half-written


def test_the_listing_says_when_which_files_and_how_many_rows(folder):
    ids = [publish_night(folder, night) for night in (1, 2)]
    listing = list_snapshots(folder)
    assert [entry["id"] for entry in listing["snapshots"]] == ids[::-1]
    newest, oldest = listing["snapshots"]
    assert newest["published"] and not oldest["published"]
    assert newest["rows"] == {"funnel_daily": 2, "kpi_monthly": 3} and oldest["rows"] == {"funnel_daily": 1, "kpi_monthly": 2}
    assert [item["file"] for item in newest["files"]] == ["landing/contacts/night_1.csv", "landing/contacts/night_2.csv"]
    assert [item["rows_loaded"] for item in newest["files"]] == [10, 20]
    assert newest["new_files"] == ["landing/contacts/night_2.csv"]
    assert newest["run"] is None  # published outside `membrana run`: no report kept
    text = format_snapshots(listing)
    assert f"* {ids[1]}  published " in text and f"  {ids[0]}  published " in text
    assert "rows: funnel_daily 2, kpi_monthly 3" in text and "landing files: 2 (contacts 2)" in text
    assert listing["keep"] == 7


def test_the_listing_shows_the_checks_of_the_kept_run_report(folder):
    snapshot_id = publish_night(folder, 1)
    report = folder.logs / "run_report.json"
    folder.logs.mkdir()
    report.write_text(json.dumps({"run_id": "r1", "run_date": "2026-11-01", "started_at": "2026-11-02T02:00:00+00:00",
                                  "status": "published", "checks": {"passed": 40, "warned": 2, "failed": 0}}))
    attach_to_snapshot(folder.published, snapshot_id, [report])
    entry = list_snapshots(folder)["snapshots"][0]
    assert entry["run"]["checks"] == {"passed": 40, "warned": 2, "failed": 0}
    assert "checks 40 passed, 2 warned, 0 failed" in format_snapshots(list_snapshots(folder))


def test_rollback_republishes_the_one_before_exactly_and_an_open_reader_keeps_its_data(folder):
    ids = [publish_night(folder, night) for night in (1, 2, 3)]
    assert published_nights(folder) == {"duckdb": {3}, "parquet": {3}, "dashboard": {3}}
    reader = duckdb.connect(str(folder.published / "membrana.duckdb"), read_only=True)
    try:
        with open(folder.published / "parquet" / "kpi_monthly.parquet", "rb") as parquet_reader:
            done = rollback(folder)
            assert (done.replaced, done.republished, done.changed) == (ids[2], ids[1], True)
            assert published_nights(folder) == {"duckdb": {2}, "parquet": {2}, "dashboard": {2}}
            assert reader.execute("select distinct night from marts.kpi_monthly").fetchall() == [(3,)]
            assert parquet_reader.read(4) == b"PAR1"
    finally:
        reader.close()
    assert current_snapshot(folder.published)["rollback"] == {"from": ids[2]}
    # without --to again: the one before the published one, now the first night
    assert rollback(folder).republished == ids[0]
    assert published_nights(folder) == {"duckdb": {1}, "parquet": {1}, "dashboard": {1}}
    assert [(line["event"], line["from"], line["to"]) for line in read_run_history(folder.logs)] == [
        ("rollback", ids[2], ids[1]), ("rollback", ids[1], ids[0])]
    assert entry_ids(folder.published) == ids  # a rollback removes nothing


def test_rollback_to_a_named_snapshot_by_id_or_time_as_listed(folder):
    ids = [publish_night(folder, night) for night in (1, 2, 3)]
    listed_time = list_snapshots(folder)["snapshots"][2]["published_at"]
    assert find_snapshot(folder.published, listed_time) == ids[0]
    assert find_snapshot(folder.published, listed_time.replace("T", " ")) == ids[0]
    assert rollback(folder, ids[0]).republished == ids[0]
    assert published_nights(folder)["duckdb"] == {1}
    forward = rollback(folder, ids[2])  # back to the newest: a rollback can be undone
    assert forward.republished == ids[2] and published_nights(folder)["duckdb"] == {3}
    assert rollback(folder, ids[2]).changed is False


def test_rollback_refuses_what_it_cannot_do_and_changes_nothing(folder):
    with pytest.raises(NoSnapshotToRollBackTo):
        rollback(folder)
    only = publish_night(folder, 1)
    with pytest.raises(NoSnapshotToRollBackTo, match="no snapshot kept before the published one"):
        rollback(folder)
    publish_night(folder, 2)
    with pytest.raises(UnknownSnapshot, match=f"no kept snapshot '20990101T000000' .*kept: .*{only}"):
        rollback(folder, "20990101T000000")
    assert published_nights(folder)["duckdb"] == {2}


def test_rollback_never_overlaps_a_run(folder):
    publish_night(folder, 1)
    publish_night(folder, 2)
    with LockHolder(folder.root) as holder:
        with pytest.raises(RunInProgress, match=f"pid {holder.pid}"):
            rollback(folder)
        holder.release()
    assert published_nights(folder)["duckdb"] == {2}
    assert read_run_history(folder.logs) == []


def test_keep_is_read_from_config_snapshots_csv(folder):
    shipped = (DEFAULT_CONFIG_DIR / "snapshots.csv").read_text().splitlines()
    assert shipped[0] == "setting,value" and snapshots_to_keep(folder.config, DEFAULT_CONFIG_DIR) == int(
        dict(line.split(",") for line in shipped[1:])["keep"])
    (folder.config / "snapshots.csv").write_text("setting,value\nkeep,2\n")
    assert snapshots_to_keep(folder.config, DEFAULT_CONFIG_DIR) == 2
    for bad in ("0", "two", "-1", "1.5"):
        (folder.config / "snapshots.csv").write_text(f"setting,value\nkeep,{bad}\n")
        with pytest.raises(SnapshotHistoryError, match=rf"^config/snapshots.csv: keep '{bad}' is not a whole number"):
            snapshots_to_keep(folder.config, DEFAULT_CONFIG_DIR)
    (folder.config / "snapshots.csv").write_text("keep\n2\n")
    with pytest.raises(SnapshotHistoryError, match="expected the columns setting,value"):
        snapshots_to_keep(folder.config, DEFAULT_CONFIG_DIR)


def test_the_commands_answer_in_one_line_with_their_exit_codes(folder, monkeypatch, capsys):
    monkeypatch.setenv("MEMBRANA_DATA_DIR", str(folder.root))
    assert main(["snapshots"]) == EXIT_NOT_PUBLISHED
    assert main(["rollback"]) == EXIT_NOT_PUBLISHED
    said = capsys.readouterr()
    assert said.out == "" and said.err.count("\n") == 2 and said.err.startswith("membrana: no snapshot kept yet")
    first = publish_night(folder, 1)
    second = publish_night(folder, 2)
    assert main(["rollback", "--to", "yesterday"]) == EXIT_BAD_INPUT
    assert capsys.readouterr().err == (f"membrana: no kept snapshot 'yesterday' (kept: {second}, {first}; "
                                       "see `membrana snapshots`)\n")
    assert main(["rollback"]) == 0
    assert f"rolled back: snapshot {first} is published again (it replaced {second})" in capsys.readouterr().out
    assert main(["snapshots"]) == 0
    listed = capsys.readouterr().out
    assert f"* {first}  published " in listed and "(by a rollback)" in listed
