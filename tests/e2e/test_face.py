"""What a person sees: `membrana --help`, `status`, `export`, `dashboard`, their exit codes, and the dashboard
page in headless Chromium. One pipeline run on a small company; expected figures come from the independent
plain-Python funnel (reference_funnel.py) and from the landing files themselves."""

import csv
import json
import os
import pty
import re
import shutil
import subprocess
from datetime import date, timedelta
from html.parser import HTMLParser
from types import SimpleNamespace

import duckdb
import openpyxl
import pyarrow.parquet as pq
import pytest

from orchestration.data_folder import DEFAULT_CONFIG_DIR
from orchestration.nightly.status import SOURCE_MEASURES
from orchestration.publish.summary import kpi_markdown
from tests.support.headless_chromium import CHROMIUM, open_page
from tests.support.membrana import MEMBRANA, membrana_env, run_dbt, run_membrana
from tests.support.reference_funnel import read_landing, reference_funnel_daily, reference_kpi_monthly

COMMANDS = ("run", "plan", "status", "snapshots", "rollback", "dashboard", "export", "docs", "demo")


def last_complete_month(funnel: dict) -> date:
    """The newest month whose last day is on or before the last day with any incoming contact."""
    data_through = max(day for (day, _), row in funnel.items() if row["incoming_contacts"] > 0)
    month = data_through.replace(day=1)
    return month if (month + timedelta(days=32)).replace(day=1) - timedelta(days=1) <= data_through \
        else (month - timedelta(days=1)).replace(day=1)


@pytest.fixture(scope="module")
def company(built_demo_to_change, tmp_path_factory):
    data_dir, run = built_demo_to_change.data_dir, built_demo_to_change.first_run
    # the same company's exports before any run: the landing and config folders without the rest
    unbuilt = tmp_path_factory.mktemp("face_unbuilt")
    for folder in ("landing", "config"):
        shutil.copytree(data_dir / folder, unbuilt / folder)
    before_first_run = run_membrana("status", data_dir=unbuilt)
    funnel = reference_funnel_daily(data_dir, DEFAULT_CONFIG_DIR)
    kpi = reference_kpi_monthly(funnel, data_dir, DEFAULT_CONFIG_DIR)
    month = last_complete_month(funnel)
    return SimpleNamespace(data_dir=data_dir, run=run, before_first_run=before_first_run, funnel=funnel, kpi=kpi,
                           month=month, month_kpi={ch: row for (m, ch), row in kpi.items() if m == month})


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("membrana: "), stderr
    return lines[0]


def test_help_lists_every_command_and_the_exit_codes(tmp_path):
    result = run_membrana("--help", data_dir=tmp_path)
    assert result.returncode == 0
    for command in COMMANDS:
        assert re.search(rf"^\s+{command}\b", result.stdout, re.MULTILINE), command
    for code in range(5):
        assert re.search(rf"^\s+{code}\s+\w", result.stdout, re.MULTILINE), f"exit code {code} not explained"
    assert run_membrana("frobnicate", data_dir=tmp_path).returncode == 2
    assert run_membrana("export", "--format", "doc", data_dir=tmp_path).returncode == 2


def test_commands_on_a_folder_with_nothing_published_exit_3(company, tmp_path):
    assert company.before_first_run.returncode == 3
    assert "none yet" in company.before_first_run.stdout
    for command in ("dashboard", "export"):
        result = run_membrana(command, data_dir=tmp_path)
        assert result.returncode == 3, command
        assert "run `membrana run` first" in one_line(result.stderr)
    missing = run_membrana("run", "--data-dir", tmp_path / "absent", data_dir=tmp_path)
    assert missing.returncode == 2 and "does not exist" in one_line(missing.stderr)


def test_run_off_a_terminal_prints_no_progress_and_names_the_dashboard(company):
    assert company.run.stderr == ""
    assert "\x1b[" not in company.run.stdout and "━" not in company.run.stdout
    assert f"Dashboard: {company.data_dir / 'published' / 'dashboard.html'}" in company.run.stdout
    assert (company.data_dir / "published" / "dashboard.html").stat().st_size > 10_000


def test_status_reports_the_run_its_checks_freshness_and_outputs(company):
    result = run_membrana("status", "--json", data_dir=company.data_dir)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["last_run"]["success"] is True
    tests = status["last_run"]["dbt"]["tests"]
    assert tests.get("pass", 0) > 50 and not tests.get("fail") and not tests.get("error")
    for item in status["freshness"]:
        measure = SOURCE_MEASURES[item["source"]]
        expected = max(day for (day, _), row in company.funnel.items() if row[measure] > 0)
        assert item["data_through"] == expected.isoformat(), item
        assert item["days_old"] == (date.today() - expected).days
    for entity, load in status["loads"].items():
        files = [p for p in (company.data_dir / "landing" / entity).iterdir() if p.is_file()]
        assert load["files"] == len(files), entity
        assert load["rows"] == sum(1 for _ in read_landing(company.data_dir, entity)), entity
    assert status["outputs"]["dashboard"] == str(company.data_dir / "published" / "dashboard.html")

    text = run_membrana("status", data_dir=company.data_dir)
    assert text.returncode == 0
    assert re.search(r"Last run: \S+, \d+ s, succeeded", text.stdout)
    # The run report (i6's gates) is the source of the check counts: every check result of the run,
    # dbt tests among them, counted here by status.
    report = json.loads((company.data_dir / "logs" / "run_report.json").read_text())
    passed = sum(1 for check in report["check_results"] if check["status"] == "passed")
    assert passed > 50
    assert f"checks: {passed} passed" in text.stdout
    for source in SOURCE_MEASURES:
        assert re.search(rf"^\s+{source}\s+\d{{4}}-\d\d-\d\d \(\d+ days ago\)", text.stdout, re.MULTILINE), source


def test_export_writes_every_mart_in_each_format(company, tmp_path):
    result = run_membrana("export", "--out", tmp_path / "csv", data_dir=company.data_dir)
    assert result.returncode == 0, result.stderr
    with open(tmp_path / "csv" / "funnel_daily.csv", newline="") as handle:
        funnel_rows = list(csv.DictReader(handle))
    assert len(funnel_rows) == len(company.funnel)
    assert sum(int(row["incoming_contacts"]) for row in funnel_rows) == \
        sum(row["incoming_contacts"] for row in company.funnel.values())
    assert {"funnel_daily.csv", "kpi_monthly.csv", "capacity_plan.csv"} <= {p.name for p in (tmp_path / "csv").iterdir()}
    assert f"{len(company.funnel):,} rows" in result.stdout

    result = run_membrana("export", "--mart", "kpi_monthly", "--format", "parquet", "--out", tmp_path / "pq",
                          data_dir=company.data_dir)
    assert result.returncode == 0, result.stderr
    assert [p.name for p in (tmp_path / "pq").iterdir()] == ["kpi_monthly.parquet"]
    assert pq.read_table(tmp_path / "pq" / "kpi_monthly.parquet").num_rows == len(company.kpi)

    result = run_membrana("export", "--mart", "kpi_monthly", "--format", "xlsx", "--out", tmp_path / "xl",
                          data_dir=company.data_dir)
    assert result.returncode == 0, result.stderr
    sheet = openpyxl.load_workbook(tmp_path / "xl" / "kpi_monthly.xlsx", read_only=True)["kpi_monthly"]
    assert sheet.max_row - 1 == len(company.kpi)

    wrong = run_membrana("export", "--mart", "no_such_mart", "--out", tmp_path / "x", data_dir=company.data_dir)
    assert wrong.returncode == 2 and "no_such_mart" in one_line(wrong.stderr)


class KpiTable(HTMLParser):
    """Channel → the text of the first figure cell (contacts) of the dashboard's KPI table."""

    def __init__(self):
        super().__init__()
        self.rows, self.in_kpi, self.in_change, self.row = {}, False, False, None

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self.in_kpi = dict(attrs).get("id") == "kpi"
        elif self.in_kpi and tag == "tr":
            self.row = []
        elif self.in_kpi and tag == "td" and self.row is not None:
            self.row.append("")
        elif tag == "span" and dict(attrs).get("class") == "change":
            self.in_change = True

    def handle_endtag(self, tag):
        if tag == "span":
            self.in_change = False
        elif tag == "tr" and self.row:
            self.rows[self.row[0]] = self.row[1]
            self.row = None

    def handle_data(self, data):
        if self.row and not self.in_change:
            self.row[-1] += data.strip()


def dashboard_html(company) -> str:
    return (company.data_dir / "published" / "dashboard.html").read_text(encoding="utf-8")


def test_dashboard_shows_the_last_complete_month_per_channel(company):
    html = dashboard_html(company)
    table = KpiTable()
    table.feed(html)
    assert table.rows == {channel: f"{row['incoming_contacts']:,}" for channel, row in company.month_kpi.items()}
    assert html.count('class="funnel-panel"') == len(company.month_kpi)
    assert f"<strong>{company.month:%b %Y}</strong>" in html
    markdown = kpi_markdown(company.data_dir / "published")
    assert {line.split("|")[1].strip() for line in markdown.splitlines()[4:]} == set(company.month_kpi)


def test_dashboard_says_which_parts_are_not_available_yet(company):
    html = dashboard_html(company)
    published = {p.stem for p in (company.data_dir / "published" / "parquet").iterdir()}
    assert ("the snapshot has no alerts mart" in html) == ("alerts" not in published)
    assert ("the snapshot has no unit_economics mart" in html) == ("unit_economics" not in published)
    assert ("the snapshot has no capacity_plan_by_channel mart" in html) == \
        ("capacity_plan_by_channel" not in published)
    has_report = (company.data_dir / "logs" / "run_report.json").exists()
    assert ("the run report (logs/run_report.json) has not been written" in html) == (not has_report)


def test_dashboard_is_self_contained(company):
    html = dashboard_html(company)
    assert "<script" not in html
    assert not re.search(r"""\b(src|href)\s*=|url\(|@import""", html)
    assert re.findall(r"https?://[^\s\"'<]+", html) == ["http://www.w3.org/2000/svg"] * html.count("<svg")


CHART_MEASUREMENTS = """(() => ({
  charts: [...document.querySelectorAll('svg.chart')].map(chart => {
    const box = chart.getBoundingClientRect();
    return {width: box.width, height: box.height, marks: chart.querySelectorAll('rect, polyline, circle').length};
  }),
  sections: [...document.querySelectorAll('section')].filter(s => s.offsetHeight > 0).map(s => s.id),
}))()"""


@pytest.fixture(scope="module")
def chromium():
    assert CHROMIUM.exists(), "Debian's chromium is missing: `make browser` installs it"


def test_dashboard_renders_in_headless_chromium_without_console_errors(company, chromium, tmp_path):
    report = open_page(company.data_dir / "published" / "dashboard.html", CHART_MEASUREMENTS)
    assert report.errors == []
    charts = report.measurements["charts"]
    # A funnel per channel, four membrane trends of all channels and one chart of each channel's membranes,
    # the production load and the capacity-vs-deals bars, and plan vs fact when config/plan.csv has targets.
    has_targets = len((company.data_dir / "config" / "plan.csv").read_text().strip().splitlines()) > 1
    assert len(charts) == len(company.month_kpi) + 4 + len(company.month_kpi) + 2 + has_targets
    assert all(chart["width"] > 100 and chart["height"] > 50 and chart["marks"] >= 3 for chart in charts), charts
    assert report.measurements["sections"] == ["funnel", "kpi", "plan", "trends", "capacity", "unit-economics",
                                               "run"]
    assert report.screenshot.startswith(b"\x89PNG") and len(report.screenshot) > 50_000


def test_the_browser_check_catches_console_errors_and_missing_files(chromium, tmp_path):
    page = tmp_path / "broken.html"
    page.write_text('<html><body><script>console.error("broken chart"); notDefined();</script>'
                    '<img src="missing.png"></body></html>')
    errors = open_page(page).errors
    assert any("broken chart" in error for error in errors)
    assert any("notDefined" in error for error in errors)
    assert any("missing.png" in error for error in errors)


def test_dashboard_labels_follow_the_language_setting(company):
    config = company.data_dir / "config"
    try:
        config.mkdir(exist_ok=True)
        (config / "dashboard.csv").write_text("setting,value\nlanguage,ru\n")
        result = run_membrana("dashboard", data_dir=company.data_dir)
        assert result.returncode == 0, result.stderr
        html = dashboard_html(company)
        assert '<html lang="ru">' in html and "Воронка по каналам" in html
        table = KpiTable()
        table.feed(html)
        assert table.rows == {channel: f"{row['incoming_contacts']:,}".replace(",", "\u202f")
                              for channel, row in company.month_kpi.items()}
        (config / "dashboard.csv").write_text("setting,value\nlanguage,de\n")
        wrong = run_membrana("dashboard", data_dir=company.data_dir)
        assert wrong.returncode == 2 and "'de'" in one_line(wrong.stderr)
    finally:
        (config / "dashboard.csv").unlink(missing_ok=True)
    assert run_membrana("dashboard", data_dir=company.data_dir).returncode == 0
    assert '<html lang="en">' in dashboard_html(company)


def test_run_on_a_terminal_draws_a_progress_bar_over_every_asset(company):
    """The same command under a pseudo-terminal: the bar counts materialized assets out of all of them."""
    from orchestration.definitions import defs

    total = len(defs().resolve_all_asset_keys())
    # a landing file touched, not changed: the job runs (a quiet night would end before any asset)
    os.utime(min((company.data_dir / "landing").rglob("*.csv")))
    controller, terminal = pty.openpty()
    run = subprocess.Popen(
        [str(MEMBRANA), "run"], stdin=terminal, stdout=terminal, stderr=terminal,
        env=membrana_env(company.data_dir, TERM="xterm", COLUMNS="120"),
    )
    os.close(terminal)
    screen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the run ended
            break
        if not chunk:
            break
        screen += chunk
    os.close(controller)
    assert run.wait(timeout=600) == 0, screen[-2000:]
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.decode("utf-8", "replace"))  # colours and cursor moves
    counts = {int(done) for done in re.findall(rf"\b(\d+)/{total}\b", text)}
    assert counts and max(counts) > total // 2, text[-2000:]
    assert "━" in text
    assert "last complete month" in text


def test_a_failed_run_exits_1_keeps_the_snapshot_and_status_says_so(company):
    snapshot = company.data_dir / "published" / "membrana.duckdb"
    published_at = snapshot.stat().st_mtime
    bad = company.data_dir / "landing" / "contacts" / "notes.txt"
    bad.write_text("not an export")
    try:
        run = run_membrana("run", data_dir=company.data_dir)
        assert run.returncode == 1
        assert "notes.txt" in one_line(run.stderr)
        status = run_membrana("status", data_dir=company.data_dir)
        assert status.returncode == 1
        assert "FAILED" in status.stdout and "notes.txt" in status.stdout
        assert snapshot.stat().st_mtime == published_at
    finally:
        bad.unlink()
        shutil.rmtree(company.data_dir / "logs", ignore_errors=True)


def complete_months(funnel: dict, newest: date, count: int) -> list[date]:
    months = sorted({day.replace(day=1) for day, _ in funnel if day.replace(day=1) <= newest})
    return months[-count:]


def test_analyses_answer_their_questions_on_the_published_snapshot(company, tmp_path):
    """The analyses compile with dbt and, run on the snapshot as the README shows, give the answers the
    reference funnel gives."""
    compiled = run_dbt("compile", "-s", "path:analyses", "--quiet", data_dir=company.data_dir, target_path=tmp_path)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    folder = tmp_path / "compiled" / "membrana" / "analyses"
    with duckdb.connect() as con:
        con.execute(f"attach '{company.data_dir / 'published' / 'membrana.duckdb'}' as warehouse (read_only)")

        def answer(name):
            cursor = con.execute((folder / f"{name}.sql").read_text())
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

        cheapest, fell = answer("cheapest_channel_to_deal"), answer("membrane_fell_last_month")
        assert answer("budget_to_fill_next_month")

    months = complete_months(company.funnel, company.month, 3)
    totals = {}
    for (month, channel), row in company.kpi.items():
        if month in months:
            cost, deals = totals.get(channel, (0, 0))
            totals[channel] = (cost + row["acquisition_cost"], deals + row["deals_won"])
    expected = sorted((float(cost) / deals, channel) for channel, (cost, deals) in totals.items() if deals)
    got = [(row["cost_per_deal"], row["channel"]) for row in cheapest if row["deals_won"]]
    assert [channel for _, channel in got] == [channel for _, channel in expected]
    assert all(abs(a - b) < 0.01 for (a, _), (b, _) in zip(got, expected))

    previous = complete_months(company.funnel, company.month, 2)[0]
    for row in fell:
        before = company.kpi[(previous, row["channel"])][row["membrane"]]
        after = company.month_kpi[row["channel"]][row["membrane"]]
        better = (after - before) if row["membrane"] != "no_show_rate" else (before - after)
        assert abs(row["change_for_the_better"] - float(better)) < 1e-9, row
    changes = [row["change_for_the_better"] for row in fell]
    assert changes == sorted(changes) and len(fell) >= 4


def test_docs_builds_the_dbt_docs_with_the_warehouse_catalog(company, tmp_path):
    result = run_membrana("docs", "--no-serve", data_dir=company.data_dir)
    assert result.returncode == 0, result.stderr
    docs = company.data_dir / "dbt_docs"
    assert (docs / "index.html").exists()
    catalog = json.loads((docs / "catalog.json").read_text())
    documented = {node["metadata"]["name"]: set(node["columns"]) for node in catalog["nodes"].values()}
    with duckdb.connect() as con:
        con.execute(f"attach '{company.data_dir / 'published' / 'membrana.duckdb'}' as snapshot (read_only)")
        columns = {name for (name,) in con.execute(
            "select column_name from duckdb_columns() where database_name = 'snapshot' and table_name = 'kpi_monthly'"
        ).fetchall()}
    assert documented["kpi_monthly"] == columns
    assert run_membrana("docs", "--no-serve", data_dir=tmp_path).returncode == 3
