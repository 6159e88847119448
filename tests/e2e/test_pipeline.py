"""The whole nightly job on a generated company, checked against an independent computation
(tests/support/reference_funnel.py, plain Python, no SQL) — not by re-running the models."""

import csv
import hashlib
import json
import shutil
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.data_folder import DEFAULT_CONFIG_DIR, PROJECT_ROOT
from tests.support.marts import assert_same_funnel, funnel_by_key, published_rows
from tests.support.membrana import MEMBRANA, run_command, run_membrana, run_python
from tests.support.reference_funnel import (
    FUNNEL_COLUMNS,
    MONEY_COLUMNS,
    RATIO_COLUMNS,
    by_column,
    latest_versions,
    load_exchange_rates,
    parse_deal,
    read_capacity,
    reference_funnel_daily,
    reference_kpi_monthly,
    valid_rows,
)
from tests.support.reference_people import reference_membranes

CONTRACT_CHECK = PROJECT_ROOT.parent / "shared" / "tools" / "contract_check.py"


@pytest.fixture(scope="module")
def demo(built_demo_to_change):
    return built_demo_to_change.data_dir, built_demo_to_change.summary, built_demo_to_change.first_run


def test_run_prints_the_kpi_summary_and_where_outputs_are(demo):
    data_dir, _, result = demo
    assert "last complete month" in result.stdout
    assert str(data_dir / "published" / "membrana.duckdb") in result.stdout
    assert result.stderr == ""


def test_funnel_daily_matches_the_independent_computation(demo):
    data_dir, _, _ = demo
    expected = reference_funnel_daily(data_dir, DEFAULT_CONFIG_DIR)
    actual = funnel_by_key(published_rows(data_dir, "funnel_daily"), "date")
    assert_same_funnel(actual, expected, FUNNEL_COLUMNS, MONEY_COLUMNS)
    assert len({channel for _, channel in actual}) >= 8  # seven channels and unknown


def test_kpi_monthly_matches_the_independent_computation(demo):
    data_dir, _, _ = demo
    expected = reference_kpi_monthly(reference_funnel_daily(data_dir, DEFAULT_CONFIG_DIR), data_dir, DEFAULT_CONFIG_DIR)
    actual = funnel_by_key(published_rows(data_dir, "kpi_monthly"), "month")
    assert set(actual) == set(expected)
    for key, expected_row in expected.items():
        for column in RATIO_COLUMNS:
            got, want = actual[key][column], expected_row[column]
            if want is None:
                assert got is None, (key, column, got)
            else:
                # money is kept to 6 decimals in the marts: ratios agree far below a kopeck
                assert got == pytest.approx(float(want), rel=1e-6), (key, column, got, want)


def test_every_injected_bad_row_is_in_quarantine_with_its_line(demo):
    data_dir, summary, _ = demo
    quarantined = {
        (Path(row["source_file"]).name, row["line_number"]) for row in published_rows(data_dir, "audit.quarantine")
    }
    injected = {(bad["file"], bad["line"]) for bad in summary["bad_rows"]}
    assert injected and injected == quarantined


def test_every_raw_row_is_counted_or_quarantined(demo):
    data_dir, summary, _ = demo
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        for entity, written in summary["rows"].items():
            loaded = con.execute(f"select count(*) from raw.{entity}").fetchone()[0]
            assert loaded == written, entity
            quarantined = con.execute(
                "select count(*) from audit.quarantine where entity = ?", [entity]
            ).fetchone()[0]
            bad = sum(1 for row in summary["bad_rows"] if row["entity"] == entity)
            assert quarantined == bad, entity


def test_published_snapshot_holds_the_contract(demo):
    data_dir, _, _ = demo
    if not CONTRACT_CHECK.exists():
        pytest.skip("shared/tools/contract_check.py is not beside the project")
    check = run_python(CONTRACT_CHECK, data_dir, MEMBRANA)
    assert check.returncode == 0, check.stdout
    assert "contract holds" in check.stdout
    assert "pre-v2" not in check.stdout  # the snapshot is published under its contract v2 name


def test_the_snapshot_opens_as_the_contract_says(demo):
    """Contract v2: `duckdb -readonly published/membrana.duckdb` then `select * from marts.kpi_monthly` works
    (under the pre-v2 name marts.duckdb DuckDB rejected `marts` as ambiguous), row for row the Parquet file."""
    data_dir, _, _ = demo
    published = data_dir / "published"
    snapshot = published / "membrana.duckdb"
    assert not (published / "marts.duckdb").exists()
    with duckdb.connect(str(snapshot), read_only=True) as con:
        assert con.execute("select current_database()").fetchone()[0] == "membrana"
        opened = con.execute("select * from marts.kpi_monthly order by month, channel").fetchall()
        parquet = con.execute(f"select * from read_parquet('{published / 'parquet' / 'kpi_monthly.parquet'}') "
                              "order by month, channel").fetchall()
    assert opened and opened == parquet
    # what a user's plain `duckdb published/membrana.duckdb` does (the duckdb CLI when installed)
    with duckdb.connect(str(snapshot)) as con:
        assert con.execute("select count(*) from marts.kpi_monthly").fetchone()[0] == len(opened)
    cli = shutil.which("duckdb")
    if cli:
        shown = run_command([cli, "-readonly", snapshot, "-csv", "-noheader", "-c",
                             "select count(*) from marts.kpi_monthly"])
        assert shown.returncode == 0 and shown.stdout.strip() == str(len(opened)), shown.stderr


def test_a_new_folders_first_build_starts_from_the_projects_parse(demo):
    """The demo folder was new: its first dbt build reused the project's saved parse (build/dbt_runner.py)
    instead of parsing every file again, which dbt says in its log when it cannot."""
    data_dir, _, _ = demo
    first_invocation = (data_dir / "logs" / "dbt" / "dbt.log").read_text().split("Running with dbt=")[1]
    assert "Unable to do partial parsing" not in first_invocation
    assert "Starting full parse" not in first_invocation
    assert "skipping partial parsing" in first_invocation or "Partial parsing enabled" in first_invocation


def test_the_build_leaves_dbt_s_run_results_and_no_copy_of_its_manifest(demo):
    """run_results.json (dbt's format: status and membrana status read it) for every node the build ran; no
    manifest.json, which dbt would write twice a night and nothing reads in a data folder."""
    data_dir, _, _ = demo
    target = data_dir / "logs" / "dbt"
    results = json.loads((target / "run_results.json").read_text())
    assert results["metadata"]["dbt_schema_version"].endswith("/run-results/v6.json")
    ran = {result["unique_id"].split(".")[0] for result in results["results"]}
    assert {"model", "test"} <= ran and all(result["status"] for result in results["results"])
    assert not (target / "manifest.json").exists()


def test_a_second_run_on_the_same_files_changes_nothing(demo):
    data_dir, _, _ = demo
    before = {mart: published_rows(data_dir, mart) for mart in ("funnel_daily", "kpi_monthly", "capacity_plan")}
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        raw_before = con.execute("select count(*) from raw.contacts").fetchone()[0]
    result = run_membrana("run", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("select count(*) from raw.contacts").fetchone()[0] == raw_before
    for mart, rows in before.items():
        key = "date" if mart == "funnel_daily" else "month"
        assert sorted(published_rows(data_dir, mart), key=lambda r: (r[key], r.get("channel", ""))) == sorted(
            rows, key=lambda r: (r[key], r.get("channel", ""))), mart


def test_clients_hold_every_buyer_and_repeat_purchase(demo):
    """Won deals per client straight from the raw exports (row rules of the reference, the demo's keys
    are already normalised: +7… phones, lowercase e-mails), matched by the hash the warehouse uses."""
    data_dir, _, _ = demo
    base_currency, _ = read_capacity(data_dir, DEFAULT_CONFIG_DIR)
    rates = load_exchange_rates(data_dir, base_currency)
    deals = latest_versions(
        valid_rows(data_dir, "deals", lambda row: {**parse_deal(row, rates), "client_key": row.get("client_key")}),
        by_column("deal_id"),
    )
    won = [deal for deal in deals if deal["status"] == "won" and deal["client_key"]]
    expected_deals = Counter(hashlib.sha256(deal["client_key"].encode()).hexdigest() for deal in won)
    expected_revenue = Counter()
    for deal in won:
        key = hashlib.sha256(deal["client_key"].encode()).hexdigest()
        expected_revenue[key] += rates.to_base(deal["amount"], deal["currency"], deal["closed_at"].date())
    clients = {row["client_id"]: row for row in published_rows(data_dir, "clients")}
    buyers = {client_id: row["deals_won"] for client_id, row in clients.items()
              if row["deals_won"] and ":" not in client_id}
    assert buyers == dict(expected_deals)
    assert all(clients[key]["revenue"] == revenue for key, revenue in expected_revenue.items())
    assert sum(1 for count in expected_deals.values() if count > 1) > 10   # the demo has repeat buyers
    assert sum(1 for row in clients.values() if row["channels_touched"] > 1) > 10


def test_membranes_by_employee_match_the_independent_computation(demo):
    data_dir, _, _ = demo
    expected = reference_membranes(data_dir, DEFAULT_CONFIG_DIR)
    rows = published_rows(data_dir, "membranes_by_employee")
    actual = {(row["month"], row["role"], row["employee_id"]): (row["entered"], row["passed"]) for row in rows}
    assert actual == expected
    # the demo's people differ: ranks spread over every assigned operator and manager
    ranks = {(row["role"], row["pass_rate_rank"]) for row in rows if row["is_assigned"]}
    assert {rank for role, rank in ranks if role == "operator"} == set(range(1, 7))


def test_profit_drivers_parts_add_up_to_each_change(demo):
    data_dir, _, _ = demo
    effects = ("contacts_effect", "conversion_effect", "average_check_effect", "purchases_effect", "margin_effect",
               "fixed_costs_effect", "outside_formula_effect")
    rows = published_rows(data_dir, "profit_drivers")
    changes = [row for row in rows if row["profit_change"] is not None]
    assert changes and any(row["contacts_effect"] != 0 for row in changes)
    for row in changes:
        assert sum(row[effect] for effect in effects) == pytest.approx(float(row["profit_change"]), abs=1e-6), row
        # gross profit is the product of the five factors wherever the formula applies
        if row["is_formula_exact"] and row["deals_won"]:
            product = (row["incoming_contacts"] * row["conversion"] * row["average_check"]
                       * row["purchases_per_client"] * float(row["gross_margin"]))
            assert product == pytest.approx(float(row["gross_profit"]), abs=1e-6)
        else:
            assert row["is_formula_exact"] or row["incoming_contacts"] == 0


def test_the_demo_plan_and_lead_statuses_reach_their_marts(demo):
    data_dir, _, _ = demo
    with (data_dir / "config" / "plan.csv").open() as plan_file:
        plan = {(date.fromisoformat(row["month"]), row["channel"]): row for row in csv.DictReader(plan_file)}
    facts = {(row["month"], row["channel"]): row for row in published_rows(data_dir, "plan_vs_fact")}
    assert set(plan) <= set(facts)
    for key, target in plan.items():
        assert facts[key]["target_revenue"] == Decimal(target["target_revenue"])
    qualification = published_rows(data_dir, "lead_qualification")
    assert sum(row["unmapped_leads"] for row in qualification) == 0
    mql = sum(row["mql"] for row in qualification)
    sal = sum(row["sal"] for row in qualification)
    assert 0 < sal < mql and sum(row["rejected"] for row in qualification) > 0
