"""config/plan.csv and config/lead_statuses.csv: loaded like the other settings, with a one-line error
naming file, line and what to fix; both may be empty (no plan yet, no statuses exported)."""

from pathlib import Path

import duckdb
import pytest

from orchestration.data_folder import DEFAULT_CONFIG_DIR
from orchestration.ingest.landing import LandingError, load_config

PLAN_HEADER = "month,channel,target_contacts,target_deals,target_revenue,target_budget"


@pytest.fixture
def con(tmp_path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def write_config(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / "config" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def load_error(con, tmp_path, name: str) -> str:
    with pytest.raises(LandingError) as error:
        load_config(con, name, tmp_path / "config", DEFAULT_CONFIG_DIR)
    return str(error.value)


def test_the_shipped_plan_is_empty_and_loads(con, tmp_path):
    assert load_config(con, "plan", tmp_path / "config", DEFAULT_CONFIG_DIR) == DEFAULT_CONFIG_DIR / "plan.csv"
    assert con.execute("select count(*) from config.plan").fetchone()[0] == 0


def test_the_shipped_lead_statuses_use_canonical_stages(con, tmp_path):
    load_config(con, "lead_statuses", tmp_path / "config", DEFAULT_CONFIG_DIR)
    stages = {row[0] for row in con.execute("select stage from config.lead_statuses").fetchall()}
    assert stages and stages <= {"lead", "disqualified", "mql", "rejected", "sal", "sql", "won", "lost"}


def test_a_blank_target_means_no_target(con, tmp_path):
    write_config(tmp_path, "plan", [PLAN_HEADER, "2026-03-01,tv,100,,50000,", "2026-03-01,brand,1,2,3,4"])
    load_config(con, "plan", tmp_path / "config", DEFAULT_CONFIG_DIR)
    rows = con.execute("select channel, target_deals, target_budget from config.plan order by channel").fetchall()
    assert rows == [("brand", "2", "4"), ("tv", None, None)]


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("2026-03-15,tv,1,1,1,1", "line 3: month '2026-03-15' is not the first day of a month"),
        ("March,tv,1,1,1,1", "line 3: month 'March' is not a valid date"),
        ("2026-04-01,tv,1,-2,1,1", "line 3: target_deals '-2' is negative"),
        ("2026-04-01,tv,1,1,lots,1", "line 3: target_revenue 'lots' is not a valid decimal"),
        ("2026-04-01,,1,1,1,1", "line 3: channel is empty"),
        ("2026-03-01,TV,1,1,1,1", "line 3: month, channel '2026-03-01, TV' appears twice; keep one row"),
    ],
)
def test_a_bad_plan_row_is_one_line_naming_file_and_line(con, tmp_path, bad_line, message):
    path = write_config(tmp_path, "plan", [PLAN_HEADER, "2026-03-01,tv,1,1,1,1", bad_line])
    assert load_error(con, tmp_path, "plan") == f"{path} {message}"


def test_a_status_mapped_to_an_unknown_stage_or_twice_is_rejected(con, tmp_path):
    path = write_config(tmp_path, "lead_statuses", ["status,stage", "new,mql", "hot,qualified"])
    assert load_error(con, tmp_path, "lead_statuses") == (
        f"{path} line 3: stage 'qualified' is not a canonical stage "
        "(lead, disqualified, mql, rejected, sal, sql, won, lost)"
    )
    path = write_config(tmp_path, "lead_statuses", ["status,stage", "new,mql", "New,sal"])
    assert load_error(con, tmp_path, "lead_statuses") == f"{path} line 3: status 'New' appears twice; keep one row"


def test_an_empty_status_map_is_allowed(con, tmp_path):
    write_config(tmp_path, "lead_statuses", ["status,stage"])
    load_config(con, "lead_statuses", tmp_path / "config", DEFAULT_CONFIG_DIR)
    assert con.execute("select count(*) from config.lead_statuses").fetchone()[0] == 0
