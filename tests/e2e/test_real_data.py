"""Real public datasets through the whole pipeline, as a company would drop them: Olist's marketing funnel
(8,000 MQLs, 842 won deals; ../shared/realdata/olist_marketing_funnel/SOURCE.md) and a Facebook ad report
(1,143 ads; ../shared/realdata/facebook_ads_kag_conversion/SOURCE.md), the untouched files in landing/<source>/
read through the built-in mappings (config/mappings/*.yml). Independently, the test maps the same files onto
canonical CSVs itself (DuckDB for Olist, Python csv for Facebook) and computes the expected funnel from those:
the marts must hold the contract and agree with it."""

import csv
import json
import os
import shutil
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.data_folder import DEFAULT_CONFIG_DIR, PROJECT_ROOT
from tests.support.marts import assert_same_funnel, funnel_by_key, published_rows
from tests.support.membrana import run_membrana, run_python
from tests.support.reference_funnel import FUNNEL_COLUMNS, MONEY_COLUMNS, reference_funnel_daily

# ../shared beside the project; a git worktree elsewhere points at it with MEMBRANA_SHARED_DIR
SHARED = Path(os.environ.get("MEMBRANA_SHARED_DIR") or PROJECT_ROOT.parent / "shared")
REALDATA = SHARED / "realdata"
OLIST = REALDATA / "olist_marketing_funnel"
FACEBOOK = REALDATA / "facebook_ads_kag_conversion" / "KAG_conversion_data.csv"
CONTRACT_CHECK = SHARED / "tools" / "contract_check.py"

CHANNEL_RULES = """priority,source,medium,campaign,channel
10,paid_search,,,online_ads
11,social,,,online_ads
12,display,,,online_ads
13,facebook,,,online_ads
20,organic_search,,,brand
21,direct_traffic,,,brand
30,email,,,direct_sales
40,referral,,,partners
50,other_publicities,,,outdoor
"""
# The Facebook report has no date and no currency: its mapping puts all its spend on one reporting day, in USD
# (the preset's default), converted at a rounded USD→BRL rate of that time.
FACEBOOK_MAPPING = 'preset: facebook_kag_conversion\nconstants: {date: "2018-05-31"}\n'
FACEBOOK_DAY = "2018-05-31"
USD_TO_BRL = Decimal("3.74")
FX_RATES = f"date,currency,rate_to_base\n{FACEBOOK_DAY},USD,{USD_TO_BRL}\n"


def write_config(data_dir) -> None:
    (data_dir / "config").mkdir(parents=True)
    (data_dir / "config" / "channel_rules.csv").write_text(CHANNEL_RULES)
    capacity = (DEFAULT_CONFIG_DIR / "capacity.csv").read_text().replace(",RUB", ",BRL")
    (data_dir / "config" / "capacity.csv").write_text(capacity)
    (data_dir / "config" / "fixation_cost.csv").write_text(
        "channel,effective_from,cost_per_fixed_lead,currency\n*,2017-01-01,0,BRL\n"
    )
    (data_dir / "landing" / "fx_rates").mkdir(parents=True)
    (data_dir / "landing" / "fx_rates" / "usd.csv").write_text(FX_RATES)


def land_through_adapters(data_dir) -> None:
    """The exports as they come, each in its source folder, with a one-line mapping naming the preset."""
    mappings = data_dir / "config" / "mappings"
    mappings.mkdir()
    for source, preset, export in (("olist_mql", "olist_mql", OLIST / "olist_marketing_qualified_leads_dataset.csv"),
                                   ("olist_deals", "olist_closed_deals", OLIST / "olist_closed_deals_dataset.csv")):
        (mappings / f"{source}.yml").write_text(f"preset: {preset}\n")
        (data_dir / "landing" / source).mkdir()
        shutil.copy(export, data_dir / "landing" / source)
    (mappings / "facebook.yml").write_text(FACEBOOK_MAPPING)
    (data_dir / "landing" / "facebook").mkdir()
    shutil.copy(FACEBOOK, data_dir / "landing" / "facebook")


def land_as_canonical_csv(data_dir) -> None:
    """The test's own mapping of the same exports onto canonical CSVs, for the independent reference."""
    for entity in ("leads", "deals", "ad_spend"):
        (data_dir / "landing" / entity).mkdir(parents=True)
    with duckdb.connect() as con:
        con.execute(f"""
            copy (
                select mql_id as lead_id, first_contact_date as created_at, '' as client_key,
                    coalesce(origin, '') as source, '' as medium, landing_page_id as campaign, 'mql' as status,
                    '' as operator_id, '' as manager_id, first_contact_date as updated_at
                from read_csv('{OLIST}/olist_marketing_qualified_leads_dataset.csv', all_varchar = true)
            ) to '{data_dir}/landing/leads/olist_mql.csv' (header)
        """)
        con.execute(f"""
            copy (
                select mql_id || '-won' as deal_id, mql_id as lead_id, '' as client_key, won_date as created_at,
                    won_date as closed_at, 'won' as status, declared_monthly_revenue as amount, 'BRL' as currency,
                    won_date as updated_at
                from read_csv('{OLIST}/olist_closed_deals_dataset.csv', all_varchar = true)
            ) to '{data_dir}/landing/deals/olist_closed_deals.csv' (header)
        """)
    with FACEBOOK.open(encoding="utf-8-sig", newline="") as source, \
            (data_dir / "landing" / "ad_spend" / "facebook.csv").open("w", newline="") as target:
        writer = csv.writer(target)
        writer.writerow(["date", "platform", "campaign", "source", "medium", "cost", "currency", "impressions",
                         "clicks"])
        for row in csv.DictReader(source):
            writer.writerow([FACEBOOK_DAY, "meta_ads", row["xyz_campaign_id"], "facebook", "paid_social",
                             row["Spent"], "USD", row["Impressions"], row["Clicks"]])


@pytest.fixture(scope="module")
def real_data(tmp_path_factory):
    if not OLIST.exists() or not FACEBOOK.exists():
        pytest.skip("shared/realdata is not beside the project")
    data_dir = tmp_path_factory.mktemp("real")
    write_config(data_dir)
    land_through_adapters(data_dir)
    result = run_membrana("run", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return data_dir


@pytest.fixture(scope="module")
def reference(real_data, tmp_path_factory):
    reference_dir = tmp_path_factory.mktemp("real_reference")
    write_config(reference_dir)
    land_as_canonical_csv(reference_dir)
    return reference_funnel_daily(reference_dir, DEFAULT_CONFIG_DIR)


def test_every_lead_and_deal_arrives(real_data):
    funnel = published_rows(real_data, "funnel_daily")
    # no call tracking: every MQL is a contact-less lead, so it counts as an incoming contact
    assert sum(row["incoming_contacts"] for row in funnel) == 8000
    assert sum(row["fixed_leads"] for row in funnel) == 8000
    assert sum(row["deals_won"] for row in funnel) == 842


def test_the_marts_agree_with_the_independent_computation(real_data, reference):
    assert_same_funnel(funnel_by_key(published_rows(real_data, "funnel_daily"), "date"), reference,
                       FUNNEL_COLUMNS, MONEY_COLUMNS)


def test_the_facebook_report_is_spend_of_its_reporting_day(real_data):
    with FACEBOOK.open(encoding="utf-8-sig", newline="") as source:
        spent = sum(Decimal(row["Spent"]) for row in csv.DictReader(source))
    assert spent.quantize(Decimal("0.01")) == Decimal("58705.23")  # SOURCE.md
    spend = {(str(row["date"]), row["channel"]): row["ad_spend"] for row in published_rows(real_data, "funnel_daily")
             if row["ad_spend"]}
    assert list(spend) == [(FACEBOOK_DAY, "online_ads")]
    assert abs(Decimal(str(spend[(FACEBOOK_DAY, "online_ads")])) - spent * USD_TO_BRL) < Decimal("0.005")


def test_the_unused_export_columns_are_kept_in_raw(real_data):
    with duckdb.connect(str(real_data / "warehouse.duckdb"), read_only=True) as con:
        kept = con.execute(
            "select extra_columns from raw.ad_spend where source_file like '%KAG_conversion_data.csv' and source_line = 2"
        ).fetchone()[0]
    # the first ad of the file (SOURCE.md: ad_id 708746, campaign 916)
    assert json.loads(kept)["ad_id"] == "708746" and json.loads(kept)["fb_campaign_id"] == "103916"


def test_won_deals_by_origin_match_the_source_documentation(real_data):
    # SOURCE.md: won leads by origin — paid_search 195 + social 75 + display 6 = 276 online_ads
    kpi = published_rows(real_data, "kpi_monthly")
    online = sum(row["deals_won"] for row in kpi if row["channel"] == "online_ads")
    assert online == 195 + 75 + 6


def test_the_marts_hold_the_contract_on_real_data(real_data):
    if not CONTRACT_CHECK.exists():
        pytest.skip("shared/tools/contract_check.py is not beside the project")
    check = run_python(CONTRACT_CHECK, real_data)
    assert "contract holds" in check.stdout, check.stdout


def test_the_planner_says_which_rates_real_data_cannot_give(real_data):
    """Olist exports no meetings: booking and closing rates cannot be measured, and the planner
    says so in one line instead of guessing; given as flags, it plans."""
    refused = run_membrana("plan", "--json", data_dir=real_data)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "--closing-rate" in refused.stderr
    given = run_membrana("plan", "--json", "--booking-rate", "0.5", "--no-show-rate", "0.1", "--closing-rate", "0.4",
                         data_dir=real_data)
    assert given.returncode == 0, given.stderr
    # 10 units × 2 jobs × 22 days = 440 deals; / 0.4 = 1,100 held; / 0.9 = 1,222.2 booked; / 0.5 = 2,444.4 contacts
    assert json.loads(given.stdout)["required_contacts"] == pytest.approx(440 / 0.4 / 0.9 / 0.5)
