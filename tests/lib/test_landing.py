"""The landing → raw loader: every row kept with its file and line, idempotent, clear errors."""

import hashlib
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.data_folder import DEFAULT_CONFIG_DIR
from orchestration.ingest import landing
from orchestration.ingest.landing import LandingError, load_config, load_entity

FX_HEADER = "date,currency,rate_to_base\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def raw_rows(con, entity="fx_rates"):
    return con.execute(
        f"select date, currency, rate_to_base, source_file, source_line from raw.{entity} order by source_file, source_line"
    ).fetchall()


def test_rows_keep_their_file_and_line(con, tmp_path):
    landing = tmp_path / "landing" / "fx_rates"
    first = write(landing / "a.csv", FX_HEADER + "2026-01-01,USD,90\n2026-01-02,USD,91\n")
    loads = load_entity(con, "fx_rates", landing, datetime(2026, 1, 3))
    assert [(load.status, load.rows) for load in loads] == [("loaded", 2)]
    # line 1 is the header, so the first data row is line 2
    assert raw_rows(con) == [
        ("2026-01-01", "USD", "90", str(first), 2),
        ("2026-01-02", "USD", "91", str(first), 3),
    ]


def test_loading_the_same_file_twice_changes_nothing(con, tmp_path):
    landing = tmp_path / "landing" / "fx_rates"
    write(landing / "a.csv", FX_HEADER + "2026-01-01,USD,90\n")
    load_entity(con, "fx_rates", landing, datetime(2026, 1, 3))
    before = raw_rows(con)
    again = load_entity(con, "fx_rates", landing, datetime(2026, 1, 4))
    assert [load.status for load in again] == ["unchanged"]
    assert raw_rows(con) == before
    # touched but identical content: still nothing loaded
    (landing / "a.csv").touch()
    assert [load.status for load in load_entity(con, "fx_rates", landing, datetime(2026, 1, 5))] == ["unchanged"]
    assert raw_rows(con) == before


def test_a_changed_file_replaces_its_earlier_rows(con, tmp_path):
    landing = tmp_path / "landing" / "fx_rates"
    path = write(landing / "a.csv", FX_HEADER + "2026-01-01,USD,90\n2026-01-02,USD,91\n")
    load_entity(con, "fx_rates", landing, datetime(2026, 1, 3))
    write(path, FX_HEADER + "2026-01-01,USD,95\n")
    loads = load_entity(con, "fx_rates", landing, datetime(2026, 1, 4))
    assert [load.status for load in loads] == ["replaced"]
    assert raw_rows(con) == [("2026-01-01", "USD", "95", str(path), 2)]
    state = dict(con.execute("select * from audit.build_state").fetchall())
    assert state["needs_full_refresh"] == "true"


def test_missing_columns_are_null_and_extra_columns_ignored(con, tmp_path):
    landing = tmp_path / "landing" / "ad_spend"
    write(landing / "a.csv", "date,platform,cost,currency,note\n2026-01-01,vk_ads,100,RUB,hello\n")
    load_entity(con, "ad_spend", landing, datetime(2026, 1, 3))
    row = con.execute("select date, platform, source, cost, clicks from raw.ad_spend").fetchone()
    assert row == ("2026-01-01", "vk_ads", None, "100", None)


def test_gzip_parquet_and_json_lines_are_read(con, tmp_path):
    import gzip

    landing = tmp_path / "landing" / "fx_rates"
    landing.mkdir(parents=True)
    with gzip.open(landing / "a.csv.gz", "wt") as handle:
        handle.write(FX_HEADER + "2026-01-01,USD,90\n")
    write(landing / "b.jsonl", '{"date": "2026-01-02", "currency": "USD", "rate_to_base": "91"}\n')
    con.execute(
        f"copy (select '2026-01-03' as date, 'USD' as currency, '92' as rate_to_base) to '{landing / 'c.parquet'}'"
    )
    load_entity(con, "fx_rates", landing, datetime(2026, 1, 4))
    assert [row[:3] for row in raw_rows(con)] == [
        ("2026-01-01", "USD", "90"), ("2026-01-02", "USD", "91"), ("2026-01-03", "USD", "92"),
    ]


def test_a_file_without_a_required_column_is_rejected_by_name(con, tmp_path):
    landing = tmp_path / "landing" / "fx_rates"
    path = write(landing / "a.csv", "date,currency\n2026-01-01,USD\n")
    with pytest.raises(LandingError) as error:
        load_entity(con, "fx_rates", landing, datetime(2026, 1, 3))
    assert str(error.value).startswith(f"{path}: required column rate_to_base missing")
    assert "\n" not in str(error.value)
    assert con.execute("select count(*) from raw.fx_rates").fetchone()[0] == 0


def test_an_unsupported_file_type_is_an_error_not_skipped(con, tmp_path):
    landing = tmp_path / "landing" / "fx_rates"
    write(landing / "rates.txt", "whatever")
    with pytest.raises(LandingError, match="rates.txt: unsupported file type"):
        load_entity(con, "fx_rates", landing, datetime(2026, 1, 3))


def test_config_falls_back_to_the_shipped_default(con, tmp_path):
    own = write(tmp_path / "config" / "capacity.csv", (DEFAULT_CONFIG_DIR / "capacity.csv").read_text())
    assert load_config(con, "capacity", tmp_path / "config", DEFAULT_CONFIG_DIR) == own
    assert load_config(con, "channels", tmp_path / "config", DEFAULT_CONFIG_DIR) == DEFAULT_CONFIG_DIR / "channels.csv"
    default_channels = (DEFAULT_CONFIG_DIR / "channels.csv").read_text().strip().splitlines()
    assert con.execute("select count(*) from config.channels").fetchone()[0] == len(default_channels) - 1


def test_a_config_value_that_does_not_parse_names_file_and_line(con, tmp_path):
    lines = (DEFAULT_CONFIG_DIR / "capacity.csv").read_text().splitlines()
    header = lines[0].split(",")
    broken = lines[1].split(",")
    broken[header.index("production_units")] = "ten"
    path = write(tmp_path / "config" / "capacity.csv", "\n".join([lines[0], lines[1], ",".join(broken)]) + "\n")
    with pytest.raises(LandingError) as error:
        load_config(con, "capacity", tmp_path / "config", DEFAULT_CONFIG_DIR)
    assert str(error.value) == f"{path} line 3: production_units 'ten' is not a valid decimal"


# --- bulk loading: many files in one statement, each row still with its own file and line ----------------

def contacts_file(path: Path, header: list[str], rows: list[dict]) -> Path:
    lines = [",".join(header)] + [",".join(row.get(column, "") for column in header) for row in rows]
    return write(path, "\n".join(lines) + "\n")


def test_a_bulk_load_keeps_each_file_line_and_count(con, tmp_path, monkeypatch):
    # two statements of two files and one of one (the chunking), and two headers (column order, an extra column)
    monkeypatch.setattr(landing, "FILES_PER_STATEMENT", 2)
    folder = tmp_path / "landing" / "contacts"
    canonical = ["contact_id", "received_at", "source"]
    reordered = ["source", "note", "contact_id", "received_at"]
    expected = {}  # (file, line) -> (contact_id, received_at, source, extra_columns)
    for number, row_count in enumerate([3, 0, 5, 1, 4]):
        header = canonical if number % 2 == 0 else reordered
        rows = [{"contact_id": f"c{number}-{i}", "received_at": f"2026-01-0{i % 9 + 1} 10:00:00",
                 "source": f"s{i}", "note": f"n{i}"} for i in range(row_count)]
        path = contacts_file(folder / f"contacts_{number}.csv", header, rows)
        for line, row in enumerate(rows, start=2):  # line 1 is the header
            extra = '{"note":"' + row["note"] + '"}' if "note" in header else None
            expected[(str(path), line)] = (row["contact_id"], row["received_at"], row["source"], extra)
    loads = load_entity(con, "contacts", folder, datetime(2026, 1, 10))
    assert [(Path(load.path).name, load.status, load.rows) for load in loads] == [
        ("contacts_0.csv", "loaded", 3), ("contacts_1.csv", "loaded", 0), ("contacts_2.csv", "loaded", 5),
        ("contacts_3.csv", "loaded", 1), ("contacts_4.csv", "loaded", 4),
    ]
    note = f"{folder / 'contacts_3.csv'}: extra columns kept in raw.contacts.extra_columns, not used: note"
    assert loads[3].notes == (note,)
    loaded = con.execute(
        "select source_file, source_line, contact_id, received_at, source, extra_columns from raw.contacts"
    ).fetchall()
    assert {(row[0], row[1]): row[2:] for row in loaded} == expected
    assert len(loaded) == len(expected)
    manifest = con.execute("select file_path, rows_loaded, rows_read, file_hash from audit.load_manifest").fetchall()
    assert sorted(manifest) == sorted(
        (str(path), count, count, hashlib.sha256(path.read_bytes()).hexdigest())
        for path, count in ((folder / f"contacts_{n}.csv", c) for n, c in enumerate([3, 0, 5, 1, 4]))
    )


def test_a_file_without_a_required_column_does_not_keep_the_others_out(con, tmp_path):
    landing_folder = tmp_path / "landing" / "fx_rates"
    write(landing_folder / "a.csv", FX_HEADER + "2026-01-01,USD,90\n")
    bad = write(landing_folder / "b.csv", "date,currency\n2026-01-02,USD\n")
    write(landing_folder / "c.csv", FX_HEADER + "2026-01-03,USD,92\n2026-01-04,USD,93\n")
    with pytest.raises(LandingError) as error:
        load_entity(con, "fx_rates", landing_folder, datetime(2026, 1, 5))
    assert str(error.value) == (f"{bad}: required column rate_to_base missing from the header "
                                "(a fx_rates file needs date, currency, rate_to_base)")
    assert [(Path(row[3]).name, row[4]) for row in raw_rows(con)] == [("a.csv", 2), ("c.csv", 2), ("c.csv", 3)]
    assert con.execute("select file_path, rows_loaded from audit.load_manifest order by 1").fetchall() == [
        (str(landing_folder / "a.csv"), 1), (str(landing_folder / "c.csv"), 2),
    ]
    # fixed: only that file is read now
    write(bad, FX_HEADER + "2026-01-02,USD,91\n")
    loads = load_entity(con, "fx_rates", landing_folder, datetime(2026, 1, 6))
    assert [(Path(load.path).name, load.status) for load in loads] == [
        ("a.csv", "unchanged"), ("b.csv", "loaded"), ("c.csv", "unchanged"),
    ]
    assert len(raw_rows(con)) == 4


def test_a_malformed_line_in_a_bulk_names_its_file_and_line_and_the_others_load(con, tmp_path):
    landing_folder = tmp_path / "landing" / "fx_rates"
    write(landing_folder / "a.csv", FX_HEADER + "2026-01-01,USD,90\n")
    bad = write(landing_folder / "b.csv", FX_HEADER + "2026-01-02,USD,91\n2026-01-03,USD,92,extra\n")
    write(landing_folder / "c.csv", FX_HEADER + "2026-01-04,USD,93\n")
    write(landing_folder / "d.csv", "date,currency\n2026-01-05,USD\n")
    with pytest.raises(LandingError) as error:
        load_entity(con, "fx_rates", landing_folder, datetime(2026, 1, 5))
    assert str(error.value).startswith(f"{bad} line 3: 4 fields where the header has 3; ")
    assert str(error.value).endswith(" (and 1 more file(s) that cannot be loaded)")
    assert "\n" not in str(error.value)
    assert [(Path(row[3]).name, row[4]) for row in raw_rows(con)] == [("a.csv", 2), ("c.csv", 2)]
    assert con.execute("select count(*) from audit.load_manifest").fetchone()[0] == 2


def test_a_changed_file_in_a_bulk_replaces_only_its_own_rows(con, tmp_path):
    landing_folder = tmp_path / "landing" / "fx_rates"
    first = write(landing_folder / "a.csv", FX_HEADER + "2026-01-01,USD,90\n2026-01-02,USD,91\n")
    write(landing_folder / "b.csv", FX_HEADER + "2026-01-03,USD,92\n")
    load_entity(con, "fx_rates", landing_folder, datetime(2026, 1, 4))
    write(first, FX_HEADER + "2026-01-01,USD,95\n")
    write(landing_folder / "c.csv", FX_HEADER + "2026-01-05,USD,96\n")
    loads = load_entity(con, "fx_rates", landing_folder, datetime(2026, 1, 6))
    assert [(Path(load.path).name, load.status, load.rows) for load in loads] == [
        ("a.csv", "replaced", 1), ("b.csv", "unchanged", 1), ("c.csv", "loaded", 1),
    ]
    assert [(row[2], Path(row[3]).name, row[4]) for row in raw_rows(con)] == [
        ("95", "a.csv", 2), ("92", "b.csv", 2), ("96", "c.csv", 2),
    ]
    assert con.execute("select file_path, rows_loaded from audit.load_manifest order by 1").fetchall() == [
        (str(landing_folder / name), 1) for name in ("a.csv", "b.csv", "c.csv")
    ]


def test_a_file_cut_short_mid_line_is_named_and_the_others_load(con, tmp_path):
    landing_folder = tmp_path / "landing" / "fx_rates"
    write(landing_folder / "a.csv", FX_HEADER + "2026-01-01,USD,90\n")
    cut = write(landing_folder / "b.csv", FX_HEADER + "2026-01-02,USD,91\n2026-01-03,US")
    quoted = write(landing_folder / "c.csv", FX_HEADER + '2026-01-04,USD,"9')
    with pytest.raises(LandingError) as error:
        load_entity(con, "fx_rates", landing_folder, datetime(2026, 1, 5))
    assert str(error.value) == (
        f"{cut} line 3: the file ends in the middle of this line, its last (cut short: an export or a copy that did "
        "not finish?); put the whole file in its place — nothing of it was loaded (and 1 more file(s) that cannot "
        "be loaded)"
    )
    assert [Path(row[3]).name for row in raw_rows(con)] == ["a.csv"]
    cut.unlink()
    with pytest.raises(LandingError) as error:
        load_entity(con, "fx_rates", landing_folder, datetime(2026, 1, 6))
    assert str(error.value).startswith(f"{quoted} line 2: the file ends in the middle of this line, its last")


def test_a_short_line_that_is_not_the_last_is_not_called_cut_short(con, tmp_path):
    landing_folder = tmp_path / "landing" / "fx_rates"
    short = write(landing_folder / "a.csv", FX_HEADER + "2026-01-02,USD\n2026-01-03,USD,92")  # no final line break
    with pytest.raises(LandingError) as error:
        load_entity(con, "fx_rates", landing_folder, datetime(2026, 1, 5))
    assert str(error.value).startswith(f"{short} line 2: 2 fields where the header has 3; ")
    write(landing_folder / "a.csv", FX_HEADER + "2026-01-02,USD,91\n2026-01-03,USD,92")
    assert [(load.status, load.rows) for load in load_entity(con, "fx_rates", landing_folder, datetime(2026, 1, 6))] \
        == [("loaded", 2)]


@pytest.mark.parametrize("content", [b"PK\x03\x04\x14\x00\x08\x00rest of a zip", b"date,currency\x00\x00\x00"])
def test_binary_data_under_a_csv_name_is_named(con, tmp_path, content):
    binary = tmp_path / "landing" / "fx_rates" / "rates.csv"
    binary.parent.mkdir(parents=True)
    binary.write_bytes(content)
    with pytest.raises(LandingError) as error:
        load_entity(con, "fx_rates", binary.parent, datetime(2026, 1, 5))
    assert str(error.value) == (f"{binary}: is not a CSV file (it holds binary data: an archive, a spreadsheet or a "
                                "damaged copy under a .csv name?); put the CSV export in its place")
