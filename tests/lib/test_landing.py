"""The landing → raw loader: every row kept with its file and line, idempotent, clear errors."""

from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from orchestration.lib.landing import LandingError, load_config, load_entity
from orchestration.lib.paths import DEFAULT_CONFIG_DIR

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
