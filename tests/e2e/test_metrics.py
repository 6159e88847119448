"""The metrics layer (dbt semantic models, MetricFlow): `membrana metrics` on the published snapshot.

At month × channel every metric equals its column of kpi_monthly, every row; at week × channel group each
KPI equals the ratio of the week's sums computed here from the published funnel_daily, the data folder's
channels.csv and capacity.csv (not from metrics_daily, which the metrics read); and a query answers while
a run holds the data folder (its run lock and its warehouse open for writing)."""

import csv
import io
import math
import shutil
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from orchestration.data_folder import DEFAULT_CONFIG_DIR
from orchestration.metrics.semantic_layer import MetricsQuery, query_metrics
from tests.support.lock_holder import LockHolder
from tests.support.marts import published_rows
from tests.support.membrana import failure, run_membrana

# The KPIs of CONTRACT.md: metric name = kpi_monthly column → (numerator, denominator) of funnel_daily's sums
KPIS = {
    "cost_per_contact": ("acquisition_cost", "fixed_leads"),
    "fixation_rate": ("fixed_leads", "incoming_contacts"),
    "booking_rate": ("meetings_booked", "incoming_contacts"),
    "no_show_rate": ("no_shows", "meetings_booked"),
    # deals no lead traces count in deals_won and revenue, not in the membranes' rates (CONTRACT.md v3)
    "closing_rate": ("traced_deals_won", "meetings_held"),
    "conversion_rate": ("traced_deals_won", "fixed_leads"),
    "average_check": ("revenue", "deals_won"),
    "cost_per_deal": ("acquisition_cost", "deals_won"),
    "romi": ("gross_profit_less_acquisition_cost", "acquisition_cost"),
}
SUMS = ("incoming_contacts", "fixed_leads", "meetings_booked", "meetings_held", "no_shows", "deals_won",
        "deals_without_lead", "revenue", "revenue_without_lead", "ad_spend", "other_costs", "fixation_cost",
        "acquisition_cost")


@pytest.fixture(scope="module")
def demo(built_demo_to_change):
    """The shared built company (the lock test writes its run lock; the next module gets it restored)."""
    return built_demo_to_change


def config_rows(data_dir, name: str) -> list[dict]:
    """A config file as the run read it: the data folder's own, else the shipped default."""
    path = data_dir / "config" / name
    return list(csv.DictReader((path if path.exists() else DEFAULT_CONFIG_DIR / name).open()))


def gross_margin_of(capacity: list[dict], month: date) -> Decimal:
    """CONTRACT.md: the capacity row in force in a month is the latest effective_from on or before its first
    day, the earliest row for months before all of them."""
    rows = sorted(capacity, key=lambda row: row["effective_from"])
    in_force = [row for row in rows if date.fromisoformat(row["effective_from"]) <= month]
    return Decimal((in_force[-1] if in_force else rows[0])["gross_margin"])


def is_null(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def published_frame(data_dir, mart: str) -> pd.DataFrame:
    """A published mart as DuckDB hands it to pandas (the conversion the metrics' results go through too)."""
    with duckdb.connect() as con:
        con.execute(f"attach '{data_dir / 'published' / 'membrana.duckdb'}' as snapshot (read_only)")
        return con.execute(f"select * from snapshot.marts.{mart}").df()


def test_every_metric_at_month_and_channel_equals_kpi_monthly_exactly(demo):
    metrics = query_metrics(demo.data_dir / "published", MetricsQuery((*KPIS, *SUMS), ("month", "channel")))
    kpi = published_frame(demo.data_dir, "kpi_monthly")
    metrics["month"], kpi["month"] = pd.to_datetime(metrics["month"]), pd.to_datetime(kpi["month"])
    both = metrics.merge(kpi, on=["month", "channel"], how="outer", suffixes=("_metric", "_kpi"), indicator=True)
    assert (both["_merge"] == "both").all() and len(both) == len(kpi) > 50, both["_merge"].value_counts()
    differences = {}
    for column in (*KPIS, *SUMS):
        metric, mart = both[f"{column}_metric"], both[f"{column}_kpi"]
        differing = both.loc[~((metric == mart) | (metric.isna() & mart.isna())), ["month", "channel"]]
        if len(differing):
            differences[column] = differing.head(3).to_dict("records")
    assert differences == {}
    # what the comparison covers: real figures, not only NULLs and zeros
    assert kpi["romi"].notna().sum() > 20 and kpi["fixation_rate"].between(0, 1, inclusive="neither").any()


def weekly_ratios_by_channel_group(data_dir) -> dict[tuple[date, str], dict[str, float | None]]:
    """Each KPI per ISO week (Monday) and channel group: the week's sums of the published funnel_daily, the
    groups of channels.csv, ROMI's margin of capacity.csv for each day's month; sums exact (Decimal)."""
    groups = {row["channel"].strip().lower(): row["channel_group"].strip().lower()
              for row in config_rows(data_dir, "channels.csv")}
    capacity = config_rows(data_dir, "capacity.csv")
    sums: dict[tuple[date, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in published_rows(data_dir, "funnel_daily"):
        day = row["date"]
        key = (day - timedelta(days=day.weekday()), groups.get(row["channel"], "unknown"))
        for column in SUMS:
            sums[key][column] += Decimal(row[column])
        sums[key]["traced_deals_won"] += Decimal(row["deals_won"]) - Decimal(row["deals_without_lead"])
        margin = gross_margin_of(capacity, day.replace(day=1))
        sums[key]["gross_profit_less_acquisition_cost"] += Decimal(row["revenue"]) * margin - Decimal(
            row["acquisition_cost"])
    return {key: {kpi: (float(week[numerator]) / float(week[denominator]) if week[denominator] else None)
                  for kpi, (numerator, denominator) in KPIS.items()}
            for key, week in sums.items()}


def test_every_kpi_at_week_and_channel_group_is_the_ratio_of_the_weeks_sums(demo):
    expected = weekly_ratios_by_channel_group(demo.data_dir)
    metrics = query_metrics(demo.data_dir / "published", MetricsQuery(tuple(KPIS), ("week", "channel_group")))
    actual = {(pd.Timestamp(row["week"]).date(), row["channel_group"]): row for row in metrics.to_dict("records")}
    assert set(actual) == set(expected) and len({group for _, group in expected}) >= 5
    differences = [(key, kpi, actual[key][kpi], value) for key, ratios in expected.items()
                   for kpi, value in ratios.items()
                   if not (is_null(actual[key][kpi]) if value is None
                           else math.isclose(actual[key][kpi], value, rel_tol=1e-12, abs_tol=0))]
    assert differences == [], differences[:10]
    # a week's rate is not the average of its days' rates: the check would tell them apart here
    assert any(ratios["fixation_rate"] not in (None, 0, 1) for ratios in expected.values())


def test_the_command_answers_by_week_and_channel_group_from_a_date_in_whole_weeks(demo):
    expected = weekly_ratios_by_channel_group(demo.data_dir)
    since, until = date(2026, 7, 1), date(2026, 8, 12)  # a Wednesday, a Wednesday: the weeks are taken whole
    result = run_membrana("metrics", "fixation_rate,cost_per_contact", "--by", "week,channel_group",
                          "--since", since.isoformat(), "--until", until.isoformat(), "--csv", data_dir=demo.data_dir)
    assert result.returncode == 0, failure(result)
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["week", "channel_group", "fixation_rate", "cost_per_contact"]
    weeks = {(date.fromisoformat(row["week"][:10]), row["channel_group"]): row for row in rows}
    first_monday, last_monday = since - timedelta(days=since.weekday()), until - timedelta(days=until.weekday())
    assert set(weeks) == {key for key in expected if first_monday <= key[0] <= last_monday}
    for key, row in weeks.items():
        for kpi in ("fixation_rate", "cost_per_contact"):
            value = expected[key][kpi]
            assert (row[kpi] == "" if value is None else math.isclose(float(row[kpi]), value, rel_tol=1e-12)), (key, kpi)


@pytest.mark.parametrize(("arguments", "message"), [
    (["fixation_rat"], "membrana: unknown metric fixation_rat; metrics: "),
    (["fixation_rate", "--by", "fortnight"], "membrana: unknown grain or dimension 'fortnight'; time grains: "),
    (["fixation_rate", "--by", "week,month"], "membrana: one time grain at a time, not week, month"),
], ids=["unknown metric", "unknown grain", "two grains"])
def test_a_query_it_cannot_answer_is_one_line_and_exit_2(demo, arguments, message):
    result = run_membrana("metrics", *arguments, data_dir=demo.data_dir)
    assert result.returncode == 2, failure(result)
    assert result.stdout == "" and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_date_that_is_not_one_is_bad_input(demo):
    result = run_membrana("metrics", "fixation_rate", "--since", "2026-13-01", data_dir=demo.data_dir)
    assert result.returncode == 2 and "not a date (YYYY-MM-DD): '2026-13-01'" in result.stderr, failure(result)


def test_a_snapshot_published_before_the_metrics_layer_says_to_run_once(demo, tmp_path):
    """An upgraded folder that has not published since: its snapshot has no metrics_daily (exit 3, one line)."""
    (tmp_path / "published").mkdir()
    old_snapshot = tmp_path / "published" / "membrana.duckdb"
    shutil.copy(demo.data_dir / "published" / "membrana.duckdb", old_snapshot)
    with duckdb.connect(str(old_snapshot)) as con:
        con.execute("drop table marts.metrics_daily")
    result = run_membrana("metrics", "fixation_rate", data_dir=tmp_path)
    assert result.returncode == 3, failure(result)
    assert result.stderr == ("membrana: the published snapshot has no marts.metrics_daily (published before the "
                             "metrics layer): run `membrana run` once\n")


def test_a_query_answers_while_a_run_holds_the_folder_and_writes_its_warehouse(demo):
    """A night in progress: the run lock held, the warehouse open for writing (DuckDB then refuses every
    other process the file). The metrics come from the snapshot, so they answer, the same as before."""
    before = run_membrana("metrics", "conversion_rate", "--by", "quarter,channel_group", "--csv",
                          data_dir=demo.data_dir)
    assert before.returncode == 0, failure(before)
    with LockHolder(demo.data_dir), duckdb.connect(str(demo.data_dir / "warehouse.duckdb")) as writer:
        writer.execute("create or replace table main.night_in_progress as select 1 as step")
        during = run_membrana("metrics", "conversion_rate", "--by", "quarter,channel_group", "--csv",
                              data_dir=demo.data_dir)
        assert during.returncode == 0, failure(during)
        writer.execute("drop table main.night_in_progress")
    assert during.stdout == before.stdout and len(during.stdout.splitlines()) > 10
