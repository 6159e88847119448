"""Snapshot history and rollback over three nights of a small generated company, keeping two snapshots
(config/snapshots.csv): night 2 brings a late deals export, night 3 re-sends those deals with amounts a
hundred times too large — wrong numbers that pass every check. `membrana snapshots` lists the last two
nights as they were published; `membrana rollback` brings back night 2's marts exactly (each read on its own
after that night, row for row), its Parquet files and its dashboard, while a reader that opened night 3's
file keeps reading it; it refuses an unknown snapshot and a data folder a run holds."""

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.demo.company import generate_company
from orchestration.publish.snapshot import PUBLIC_MARTS
from tests.support.lock_holder import LockHolder
from tests.support.marts import comparable, run_report
from tests.support.membrana import failure, run_membrana, run_ok, write_files

DEALS_HEADER = "deal_id,lead_id,client_key,created_at,closed_at,status,amount,currency,updated_at\n"


@dataclass(frozen=True)
class Night:
    snapshot_id: str
    marts: dict[str, list[tuple]]  # every published mart, read from published/membrana.duckdb after the night
    parquet: dict[str, list[tuple]]  # every mart read from published/parquet/<mart>.parquet
    dashboard: bytes
    landing_files: list[str]  # under the data folder, as the night found them
    checks: dict[str, int]  # the night's run report's checks by status


def published_marts(published: Path) -> dict[str, list[tuple]]:
    with duckdb.connect() as con:
        con.execute(f"attach '{published / 'membrana.duckdb'}' as snapshot (read_only)")
        return {mart: comparable(con.execute(f"select * from snapshot.marts.{mart}").fetchall()) for mart in PUBLIC_MARTS}


def published_parquet(published: Path) -> dict[str, list[tuple]]:
    with duckdb.connect() as con:
        return {mart: comparable(con.execute(f"select * from read_parquet('{published / 'parquet' / mart}.parquet')")
                                 .fetchall()) for mart in PUBLIC_MARTS}


def late_deals(data_dir: Path, amount: str, updated_at: str) -> str:
    """Won deals for the first five leads of the last weekly deals export, closed in October."""
    last_export = max((data_dir / "landing" / "deals").glob("deals_20*.csv"))  # the weekly exports
    with open(last_export, newline="") as handle:
        leads = [row["lead_id"] for row in csv.DictReader(handle) if row["lead_id"]][:5]
    return DEALS_HEADER + "".join(
        f"LATE{index},{lead},,2026-10-01 10:00:00,2026-10-20 12:00:00,won,{amount},RUB,{updated_at}\n"
        for index, lead in enumerate(leads))


def snapshots_json(data_dir: Path) -> dict:
    listing = run_membrana("snapshots", "--json", data_dir=data_dir)
    assert listing.returncode == 0, failure(listing)
    return json.loads(listing.stdout)


@pytest.fixture(scope="module")
def company(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("rollback") / "company"
    generate_company(data_dir, contacts=3000)
    write_files(data_dir, {"config/snapshots.csv": "setting,value\nkeep,2\n"})
    nights = []
    for files in ({}, {"landing/deals/deals_late.csv": late_deals(data_dir, "50000.00", "2026-10-20 12:00:00")},
                  {"landing/deals/deals_late_resent.csv": late_deals(data_dir, "5000000.00", "2026-10-21 09:00:00")}):
        write_files(data_dir, files)
        run_ok(data_dir)
        published = data_dir / "published"
        report = run_report(data_dir)
        nights.append(Night(
            report["published"]["snapshot_id"], published_marts(published), published_parquet(published),
            (published / "dashboard.html").read_bytes(),
            sorted(str(path.relative_to(data_dir)) for path in (data_dir / "landing").rglob("*") if path.is_file()),
            report["checks"],
        ))
    assert nights[1].marts != nights[2].marts != nights[0].marts, "the nights must publish different marts"
    return data_dir, nights


def test_the_last_two_snapshots_are_kept(company):
    data_dir, nights = company
    listing = snapshots_json(data_dir)
    assert listing["keep"] == 2
    assert [entry["id"] for entry in listing["snapshots"]] == [nights[2].snapshot_id, nights[1].snapshot_id]
    assert sorted(path.name for path in (data_dir / "published" / "history").iterdir()) == sorted(
        [nights[1].snapshot_id, nights[2].snapshot_id, "current.json"])
    assert [entry["published"] for entry in listing["snapshots"]] == [True, False]


def test_the_listing_says_which_files_how_many_rows_and_which_checks(company):
    data_dir, nights = company
    listing = snapshots_json(data_dir)["snapshots"]
    for entry, night in zip(listing, (nights[2], nights[1])):
        assert [item["file"] for item in entry["files"]] == night.landing_files
        assert entry["rows"] == {mart: len(rows) for mart, rows in night.marts.items()}
        assert entry["run"]["checks"] == night.checks and entry["run"]["status"] == "published"
    assert listing[0]["new_files"] == ["landing/deals/deals_late_resent.csv"]
    text = run_membrana("snapshots", data_dir=data_dir)
    assert text.returncode == 0, failure(text)
    assert f"* {nights[2].snapshot_id}  published " in text.stdout
    assert f"  {nights[1].snapshot_id}  published " in text.stdout
    assert f"checks {nights[2].checks['passed']} passed, {nights[2].checks['warned']} warned" in text.stdout
    assert f"kpi_monthly {len(nights[1].marts['kpi_monthly']):,}" in text.stdout


def test_a_rollback_to_a_snapshot_not_kept_is_one_line_and_changes_nothing(company):
    data_dir, nights = company
    result = run_membrana("rollback", "--to", nights[0].snapshot_id, data_dir=data_dir)  # pruned (keep 2)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith(f"membrana: no kept snapshot '{nights[0].snapshot_id}'")
    assert published_marts(data_dir / "published") == nights[2].marts


def test_a_rollback_while_a_run_holds_the_folder_is_refused_with_exit_4(company):
    data_dir, nights = company
    with LockHolder(data_dir) as holder:
        result = run_membrana("rollback", data_dir=data_dir)
        holder.release()
    assert result.returncode == 4, failure(result)
    assert result.stderr.count("\n") == 1 and f"pid {holder.pid}" in result.stderr
    assert published_marts(data_dir / "published") == nights[2].marts


@pytest.fixture(scope="module")
def rolled_back(company):
    """`membrana rollback` with a reader holding night 3's snapshot open; the reader's rows read after it."""
    data_dir, nights = company
    reader = duckdb.connect(str(data_dir / "published" / "membrana.duckdb"), read_only=True)
    try:
        result = run_membrana("rollback", data_dir=data_dir)
        still_read = {mart: comparable(reader.execute(f"select * from marts.{mart}").fetchall()) for mart in PUBLIC_MARTS}
    finally:
        reader.close()
    return data_dir, nights, result, still_read


def test_rollback_republishes_the_snapshot_before_exactly(rolled_back):
    data_dir, nights, result, _ = rolled_back
    assert result.returncode == 0, failure(result)
    assert nights[1].snapshot_id in result.stdout and result.stderr == ""
    published = data_dir / "published"
    assert published_marts(published) == nights[1].marts
    assert published_parquet(published) == nights[1].parquet
    assert (published / "dashboard.html").read_bytes() == nights[1].dashboard


def test_a_reader_that_opened_the_snapshot_before_keeps_reading_it(rolled_back):
    _, nights, _, still_read = rolled_back
    assert still_read == nights[2].marts


def test_the_rollback_is_in_the_run_history_and_status(rolled_back):
    data_dir, nights, _, _ = rolled_back
    history = [json.loads(line) for line in (data_dir / "logs" / "run_history.jsonl").read_text().splitlines()]
    assert [(line["event"], line.get("snapshot")) for line in history[:3]] == [
        ("run", night.snapshot_id) for night in nights]
    assert (history[-1]["event"], history[-1]["from"], history[-1]["to"]) == (
        "rollback", nights[2].snapshot_id, nights[1].snapshot_id)
    status = run_membrana("status", data_dir=data_dir)
    assert status.returncode == 0, failure(status)
    assert (f"ROLLED BACK: `membrana rollback` republished snapshot {nights[1].snapshot_id}" in status.stdout
            and f"replacing {nights[2].snapshot_id}" in status.stdout)
    listing = snapshots_json(data_dir)
    assert [entry["published"] for entry in listing["snapshots"]] == [False, True]
    assert listing["current"]["rollback"] == {"from": nights[2].snapshot_id}


def test_the_next_run_that_publishes_replaces_the_rolled_back_snapshot(rolled_back):
    data_dir, nights, _, _ = rolled_back
    run_ok(data_dir)  # nothing new: the warehouse still holds night 3's marts
    assert published_marts(data_dir / "published") == nights[2].marts
    status = run_membrana("status", data_dir=data_dir)
    assert status.returncode == 0 and "ROLLED BACK" not in status.stdout
    listing = snapshots_json(data_dir)
    assert listing["current"]["rollback"] is None and listing["snapshots"][0]["published"]
    assert [entry["id"] for entry in listing["snapshots"]][1] == nights[2].snapshot_id  # keep 2: night 2 is gone
