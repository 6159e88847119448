"""The soak test at CI size (issue 19, part 5; tests/support/soak.py): three nights of a tiny generated company,
`membrana run` killed with -9 part way through one of them and a landing file cut short on another; after each
night that published, every mart equals a rebuild from scratch and the load manifest accounts for every row.
`make soak` runs the same driver for 30 nights or more.

The soak's own checks are tested first, on snapshots and warehouses made here, so that a divergence or a lost
row is known to fail it."""

from collections import Counter
from pathlib import Path

import duckdb
import pytest

from tests.support.soak import Soak, SoakFailure, manifest_mismatches, table_differences


def published_snapshot(root: Path, funnel_rows: list[tuple], quarantined_file: str) -> Path:
    (root / "published").mkdir(parents=True)
    with duckdb.connect(str(root / "published" / "membrana.duckdb")) as con:
        con.execute("create schema marts; create schema audit")
        con.execute("create table marts.funnel_daily (day date, channel varchar, revenue double)")
        con.executemany("insert into marts.funnel_daily values (?, ?, ?)", funnel_rows)
        con.execute("create table audit.quarantine (source_file varchar, line_number bigint, reason varchar)")
        con.execute("insert into audit.quarantine values (?, 4, 'source is empty')", [str(root / quarantined_file)])
    return root


def test_snapshots_that_differ_in_one_row_or_one_quarantined_file_differ(tmp_path):
    rows = [("2026-10-01", "tv", 100.0), ("2026-10-02", "tv", 0.1 + 0.2)]
    nightly = published_snapshot(tmp_path / "nightly", rows, "landing/contacts/a.csv")
    same = published_snapshot(tmp_path / "same", [rows[1], (*rows[0][:2], 100.0000000001)], "landing/contacts/a.csv")
    assert table_differences(nightly, same) == []  # another order, a float's last bits, another folder: equal
    one_row = published_snapshot(tmp_path / "one_row", [rows[0], (*rows[1][:2], 0.4)], "landing/contacts/a.csv")
    assert [line.split(":")[0] for line in table_differences(nightly, one_row)] == ["marts.funnel_daily"]
    other_file = published_snapshot(tmp_path / "other_file", rows, "landing/contacts/b.csv")
    assert [line.split(":")[0] for line in table_differences(nightly, other_file)] == ["audit.quarantine"]


def folder_with_manifest(root: Path, files: dict[str, str], manifest: list[tuple]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    with duckdb.connect(str(root / "warehouse.duckdb")) as con:
        con.execute("create schema audit")
        con.execute("create table audit.load_manifest (file_path varchar, rows_read bigint, rows_staged bigint, "
                    "rows_quarantined bigint, rows_superseded bigint)")
        for name, *counts in manifest:
            con.execute("insert into audit.load_manifest values (?, ?, ?, ?, ?)", [str(root / name), *counts])
    return root


CONTACTS = 'contact_id,source\nc1,tv\n"c2","tv, radio"\n\nc3,\n'  # three data rows: a quoted comma, a blank line


@pytest.mark.parametrize("manifest, broken, wrong", [
    ([("landing/contacts/a.csv", 3, 2, 1, 0)], {"landing/contacts/a.csv": 1}, []),
    ([("landing/contacts/a.csv", 3, 2, 0, 1)], {"landing/contacts/a.csv": 1}, ["a.csv"]),  # the broken row staged
    ([("landing/contacts/a.csv", 3, 1, 1, 0)], {"landing/contacts/a.csv": 1}, ["a.csv"]),  # a row lost
    ([("landing/contacts/a.csv", 4, 3, 1, 0)], {"landing/contacts/a.csv": 1}, ["a.csv"]),  # a row read twice
    ([("landing/contacts/a.csv", 3, None, None, None)], {"landing/contacts/a.csv": 1}, ["a.csv"]),  # not counted
    ([], {}, ["a.csv"]),  # a file the manifest does not know
    ([("landing/contacts/a.csv", 3, 3, 0, 0), ("landing/contacts/gone.csv", 1, 1, 0, 0)], {}, ["gone.csv"]),
])
def test_the_manifest_must_account_for_every_row_of_every_file(tmp_path, manifest, broken, wrong):
    root = folder_with_manifest(tmp_path, {"landing/contacts/a.csv": CONTACTS}, manifest)
    mismatches = manifest_mismatches(root, Counter(broken))
    assert [Path(line.split(":")[0]).name for line in mismatches] == wrong, mismatches


def test_three_nights_with_a_kill_and_a_file_cut_short_equal_their_rebuilds(tmp_path):
    lines = []
    # kill_window 0.5: the kill lands in the first half of a run, well before it ends, however fast the machine
    soak = Soak(tmp_path, nights=3, seed=7, faults={2: "kill", 3: "cut_short_file"}, kill_window=0.5,
                report=lines.append)
    assert sum(sum(delivery.bad_rows.values()) for delivery in soak.deliveries) > 0  # the quarantine has work
    try:
        results = soak.run()
    except SoakFailure as failed:
        pytest.fail("\n".join([*lines, str(failed)]))
    print("\n".join(lines))
    assert [result.marts_equal for result in results] == ["built from scratch", "yes", "yes"]
    assert results[1].fault.startswith("kill -9 "), results[1].fault  # it died part way, not after the run
    assert results[2].fault == "cut_short_file (exit 1)"
