"""Each edge rule of CONTRACT.md, through the real pipeline, on a hand-made data folder whose
expected figures are worked out by hand below."""

from datetime import date
from pathlib import Path

import pytest

from tests.support.marts import published_rows
from tests.support.membrana import run_membrana

FILES = {
    "landing/contacts/contacts_1.csv": """contact_id,received_at,contact_type,source,medium,campaign,client_key,lead_id,updated_at
c1,2026-01-05 10:00:00,call,yandex,cpc,spring,+7 916 123-45-67,l1,2026-01-05 10:00:00
c2,2026-01-05 11:00:00,form,tv,,,a@b.ru,,2026-01-05 11:00:00
c3,not a date,call,tv,,,,,
c4,2026-01-06 09:00:00,call,mystery_widget,,,,l2,2026-01-06 09:00:00
c5,2026-01-07 09:00:00,call,yandex,cpc,spring,,l4,2026-01-07 09:00:00
""",
    "landing/leads/leads_1.csv": """lead_id,created_at,client_key,source,medium,campaign,status,operator_id,manager_id,updated_at
l1,2026-01-05 10:30:00,+79161234567,,,,new,op1,m1,2026-01-05 10:30:00
l2,2026-01-06 09:30:00,,,,,new,op1,m1,2026-01-06 09:30:00
l3,2026-01-07 12:00:00,,partner_x,,,new,op2,m1,2026-01-07 12:00:00
l4,2026-01-07 09:10:00,,,,,new,op2,m1,2026-01-07 09:10:00
""",
    # The first export says planned; the later one says held: the later updated_at wins.
    "landing/meetings/meetings_1.csv": """lead_id,meeting_id,booked_at,scheduled_at,status,manager_id,updated_at
l1,m1,2026-01-05 12:00:00,2026-01-08 10:00:00,planned,m1,2026-01-05 12:00:00
l3,m2,2026-01-07 13:00:00,2026-01-09 10:00:00,no_show,m1,2026-01-09 12:00:00
""",
    "landing/meetings/meetings_2.csv": """lead_id,meeting_id,booked_at,scheduled_at,status,manager_id,updated_at
l1,m1,2026-01-05 12:00:00,2026-01-08 10:00:00,held,m1,2026-01-08 12:00:00
""",
    "landing/deals/deals_1.csv": """deal_id,lead_id,client_key,created_at,closed_at,status,amount,currency,updated_at
d1,l1,+79161234567,2026-01-08 11:00:00,2026-01-10 11:00:00,won,100,USD,2026-01-10 11:00:00
d2,,,2026-01-09 11:00:00,2026-01-09 12:00:00,won,5000,,2026-01-09 12:00:00
d3,l3,,2026-01-09 11:00:00,2026-01-09 12:00:00,won,50,EUR,2026-01-09 12:00:00
""",
    "landing/ad_spend/ad_spend_1.csv": """date,platform,campaign,source,medium,cost,currency,impressions,clicks
2026-01-05,yandex_direct,spring,,,1000,RUB,100,10
2026-01-10,google_ads,x,google,cpc,10,USD,100,10
""",
    "landing/costs/costs_1.csv": """period_start,period_end,channel,cost_type,amount,currency
2026-01-05,2026-01-07,tv,tv_flight,300,RUB
""",
    # Friday 9 January is the last rate before the weekend of the 10th.
    "landing/fx_rates/fx_1.csv": """date,currency,rate_to_base
2026-01-02,USD,90
2026-01-09,USD,92
""",
    "config/fixation_cost.csv": """channel,effective_from,cost_per_fixed_lead,currency
*,2026-01-01,100,RUB
online_ads,2026-01-06,300,RUB
""",
}


@pytest.fixture(scope="module")
def marts(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("edge")
    for name, text in FILES.items():
        path = data_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    result = run_membrana("run", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    funnel = {(row["date"], row["channel"]): row for row in published_rows(data_dir, "funnel_daily")}
    kpi = {(row["month"], row["channel"]): row for row in published_rows(data_dir, "kpi_monthly")}
    return data_dir, funnel, kpi


def day(n: int) -> date:
    return date(2026, 1, n)


def test_a_contactless_lead_counts_as_incoming_on_its_own_channel(marts):
    _, funnel, _ = marts
    # l3 has no contact: incoming and fixed on 7 Jan, channel from its own source partner_x → partners
    assert (funnel[(day(7), "partners")]["incoming_contacts"], funnel[(day(7), "partners")]["fixed_leads"]) == (1, 1)
    # l1 is linked by c1: it is fixed, but not a second incoming contact
    assert (funnel[(day(5), "online_ads")]["incoming_contacts"], funnel[(day(5), "online_ads")]["fixed_leads"]) == (1, 1)


def test_the_latest_export_wins(marts):
    _, funnel, _ = marts
    # m1 booked on 5 Jan (counted once, although it is in two files), held on 8 Jan per the later export
    assert funnel[(day(5), "online_ads")]["meetings_booked"] == 1
    assert funnel[(day(8), "online_ads")]["meetings_held"] == 1
    assert funnel[(day(9), "partners")]["no_shows"] == 1


def test_money_is_converted_at_the_as_of_rate(marts):
    _, funnel, _ = marts
    # d1: 100 USD closed on Saturday 10 Jan → Friday's rate 92 → 9,200; google ads 10 USD → 920
    assert float(funnel[(day(10), "online_ads")]["revenue"]) == 9200
    assert float(funnel[(day(10), "online_ads")]["ad_spend"]) == 920


def test_fixation_cost_by_channel_and_date(marts):
    _, funnel, _ = marts
    # l1 (5 Jan, online_ads): only the '*' price 100 applies yet; l4 (7 Jan, online_ads): own price 300
    assert float(funnel[(day(5), "online_ads")]["fixation_cost"]) == 100
    assert float(funnel[(day(7), "online_ads")]["fixation_cost"]) == 300
    # l3 (7 Jan, partners) has no own price: '*' 100
    assert float(funnel[(day(7), "partners")]["fixation_cost"]) == 100
    # acquisition = ad 1,000 + fixation 100 on 5 Jan
    assert float(funnel[(day(5), "online_ads")]["acquisition_cost"]) == 1100


def test_costs_are_spread_evenly_by_day(marts):
    _, funnel, _ = marts
    assert [float(funnel[(day(n), "tv")]["other_costs"]) for n in (5, 6, 7)] == [100, 100, 100]


def test_unmatched_sources_and_leadless_deals_are_unknown(marts):
    _, funnel, _ = marts
    # c4 comes from mystery_widget: unknown, and its lead l2 takes that channel
    assert funnel[(day(6), "unknown")]["incoming_contacts"] == 1
    assert funnel[(day(6), "unknown")]["fixed_leads"] == 1
    # d2 has no lead: unknown, in the base currency (empty currency)
    assert float(funnel[(day(9), "unknown")]["revenue"]) == 5000


def test_rows_that_break_a_rule_are_quarantined_not_counted(marts):
    data_dir, funnel, _ = marts
    reasons = {
        (Path(row["source_file"]).name, row["line_number"]): row["reason"]
        for row in published_rows(data_dir, "audit.quarantine")
    }
    assert reasons == {
        ("contacts_1.csv", 4): "received_at is not a timestamp",
        ("deals_1.csv", 4): "no exchange rate for EUR on or before 2026-01-09",
    }
    # d3 (EUR) is not revenue of partners
    assert funnel[(day(9), "partners")]["deals_won"] == 0


def test_a_zero_denominator_gives_null(marts):
    _, _, kpi = marts
    tv = kpi[(day(1), "tv")]
    # tv: one incoming contact (c2), nothing fixed, no deals, 300 of costs
    assert tv["incoming_contacts"] == 1 and tv["fixed_leads"] == 0 and tv["deals_won"] == 0
    assert tv["fixation_rate"] == 0
    assert tv["cost_per_contact"] is None and tv["conversion_rate"] is None
    assert tv["average_check"] is None and tv["cost_per_deal"] is None and tv["closing_rate"] is None


def test_a_failed_load_publishes_nothing_new(marts, tmp_path):
    data_dir, _, _ = marts
    snapshot = data_dir / "published" / "membrana.duckdb"
    before = snapshot.read_bytes()
    broken = data_dir / "landing" / "deals" / "deals_2.csv"
    broken.write_text("deal_id,lead_id,created_at\nd9,l1,2026-01-11 10:00:00\n")
    try:
        result = run_membrana("run", data_dir=data_dir)
    finally:
        broken.unlink()
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "deals_2.csv: required column status missing" in lines[0]
    assert snapshot.read_bytes() == before
