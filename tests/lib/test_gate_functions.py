"""The gate functions on a hand-made warehouse: staging views replaced by small tables whose expected
outcome is worked out by hand in each test."""

from datetime import date

import duckdb
import pytest

from orchestration.quality.gates import lead_integrity, source_freshness
from orchestration.quality.settings import (
    FreshnessLimit,
    QualityConfigError,
    freshness_limits,
    max_orphan_shares,
    run_date,
)


@pytest.fixture
def warehouse():
    con = duckdb.connect()
    con.execute("create schema staging")
    con.execute("create table staging.stg_crm__contacts (received_at timestamp, lead_id varchar)")
    con.execute("create table staging.stg_crm__leads (lead_id varchar, created_at timestamp)")
    con.execute("create table staging.stg_crm__meetings (lead_id varchar, booked_at timestamp)")
    con.execute("create table staging.stg_crm__deals (lead_id varchar, created_at timestamp, closed_at timestamp)")
    con.execute("create table staging.stg_marketing__ad_spend (spend_date date)")
    con.execute("create table staging.stg_marketing__costs (period_end date)")
    con.execute("create table staging.stg_marketing__fx_rates (rate_date date)")
    yield con
    con.close()


def test_freshness_blocks_past_the_block_limit_and_warns_past_the_warn_limit(warehouse):
    warehouse.execute("insert into staging.stg_crm__contacts values ('2026-10-31 23:00', null)")
    warehouse.execute("insert into staging.stg_crm__leads values ('L1', '2026-10-25 10:00')")
    # run date 2026-11-05: contacts 5 days old, leads 11 days old, deals have no records at all
    limits = [FreshnessLimit("contacts", 2, 7), FreshnessLimit("leads", 2, 14)]
    outcome = source_freshness(warehouse, limits, date(2026, 11, 5))
    assert not outcome.passed and outcome.severity == "warn"
    assert outcome.metadata["sources"]["contacts"]["age_days"] == 5
    assert outcome.metadata["sources"]["leads"]["age_days"] == 11

    blocked = source_freshness(warehouse, limits, date(2026, 11, 8))  # contacts 8 days > 7
    assert not blocked.passed and blocked.severity == "error"
    assert "contacts newest 2026-10-31 is 8 days old (block after 7)" in blocked.summary

    fresh = source_freshness(warehouse, [FreshnessLimit("contacts", 2, 7)], date(2026, 11, 2))
    assert fresh.passed

    empty = source_freshness(warehouse, [FreshnessLimit("deals", 3, 14)], date(2026, 11, 2))
    assert empty.severity == "error" and "deals has no records" in empty.summary


def test_without_a_freshness_file_a_stale_source_only_warns(tmp_path, warehouse):
    warehouse.execute("insert into staging.stg_crm__contacts values ('2020-01-31 23:00', null)")
    limits, configured = freshness_limits(tmp_path)
    assert not configured and all(limit.block_after_days is None for limit in limits)
    outcome = source_freshness(warehouse, [lim for lim in limits if lim.entity == "contacts"], date(2026, 11, 5))
    assert not outcome.passed and outcome.severity == "warn"


def test_orphans_block_above_the_monthly_share_and_are_counted_below_it(warehouse):
    warehouse.execute("insert into staging.stg_crm__leads select 'L' || i, '2026-01-01' from range(100) t(i)")
    # January: 2 of 40 meetings point to missing leads = 5 % (not above 5 %); February: 3 of 20 = 15 %.
    warehouse.execute("insert into staging.stg_crm__meetings select 'L' || i, '2026-01-10' from range(38) t(i)")
    warehouse.execute("insert into staging.stg_crm__meetings values ('X1', '2026-01-11'), ('X2', '2026-01-12')")
    warehouse.execute("insert into staging.stg_crm__meetings select 'L' || i, '2026-02-10' from range(17) t(i)")
    warehouse.execute("insert into staging.stg_crm__meetings values ('X3', '2026-02-11'), ('X4', '2026-02-11'), "
                      "('X5', '2026-02-12')")
    # A deal with no lead at all is not an orphan (it is `unknown`); one with a missing lead is.
    warehouse.execute("insert into staging.stg_crm__deals values (null, '2026-01-05', null), ('X9', '2026-01-05', null), "
                      "('L1', '2026-01-05', null)")
    shares = {"meetings": 0.05, "deals": 0.5}
    blocked = lead_integrity(warehouse, shares)
    assert blocked.severity == "error"
    assert blocked.summary.startswith("meetings of 2026-02: 3 of 20 (15.0%) point to missing leads")
    assert blocked.metadata["orphan_rows"] == {"meetings": 5, "deals": 1}
    # deals: 1 of 2 with a lead = 50 %, not above 0.5; the February meetings are fine at 0.15
    counted = lead_integrity(warehouse, {"meetings": 0.15, "deals": 0.5})
    assert not counted.passed and counted.severity == "warn"
    assert counted.summary == "5 meetings, 1 deals point to missing leads (below the limit)"


def test_settings_files_are_read_and_bad_ones_named_in_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("MEMBRANA_RUN_DATE", raising=False)
    assert run_date(tmp_path) == date.today()
    (tmp_path / "run_date.csv").write_text("run_date\n2026-11-01\n")
    assert run_date(tmp_path) == date(2026, 11, 1)
    monkeypatch.setenv("MEMBRANA_RUN_DATE", "2027-02-03")
    assert run_date(tmp_path) == date(2027, 2, 3)
    monkeypatch.setenv("MEMBRANA_RUN_DATE", "03.02.2027")
    with pytest.raises(QualityConfigError, match="MEMBRANA_RUN_DATE '03.02.2027' is not a date"):
        run_date(tmp_path)

    (tmp_path / "freshness.csv").write_text("entity,warn_after,block_after\ncontacts,2,7\nleads,5,3\n")
    with pytest.raises(QualityConfigError, match="freshness.csv line 3: block_after \\(3\\) is less than warn_after"):
        freshness_limits(tmp_path)
    (tmp_path / "freshness.csv").write_text("entity,warn_after,block_after\ncontacts,2,7\n")
    assert freshness_limits(tmp_path) == ([FreshnessLimit("contacts", 2, 7)], True)

    assert max_orphan_shares(tmp_path) == {"meetings": 0.05, "deals": 0.05}
    (tmp_path / "integrity.csv").write_text("entity,max_orphan_share\ndeals,0.2\n")
    assert max_orphan_shares(tmp_path) == {"meetings": 0.05, "deals": 0.2}
    (tmp_path / "integrity.csv").write_text("entity,max_orphan_share\ndeals,5%\n")
    with pytest.raises(QualityConfigError, match="integrity.csv line 2: max_orphan_share must be a share"):
        max_orphan_shares(tmp_path)
