"""A real public dataset (Olist's marketing funnel: 8,000 MQLs, 842 won deals; see
../shared/realdata/olist_marketing_funnel/SOURCE.md) through the whole pipeline. The export is mapped
onto the canonical entities here with DuckDB; the marts must hold the contract and agree with the
independent computation."""

import json
import subprocess
import sys

import duckdb
import pytest
from conftest import assert_same_funnel, funnel_by_key, published_rows, run_membrana
from reference_funnel import FUNNEL_COLUMNS, MONEY_COLUMNS, reference_funnel_daily

from orchestration.lib.paths import DEFAULT_CONFIG_DIR, PROJECT_ROOT

OLIST = PROJECT_ROOT.parent / "shared" / "realdata" / "olist_marketing_funnel"
CONTRACT_CHECK = PROJECT_ROOT.parent / "shared" / "tools" / "contract_check.py"

CHANNEL_RULES = """priority,source,medium,campaign,channel
10,paid_search,,,online_ads
11,social,,,online_ads
12,display,,,online_ads
20,organic_search,,,brand
21,direct_traffic,,,brand
30,email,,,direct_sales
40,referral,,,partners
50,other_publicities,,,outdoor
"""


@pytest.fixture(scope="module")
def olist(tmp_path_factory):
    if not OLIST.exists():
        pytest.skip("shared/realdata is not beside the project")
    data_dir = tmp_path_factory.mktemp("olist")
    for entity in ("leads", "deals"):
        (data_dir / "landing" / entity).mkdir(parents=True)
    (data_dir / "config").mkdir()
    (data_dir / "config" / "channel_rules.csv").write_text(CHANNEL_RULES)
    capacity = (DEFAULT_CONFIG_DIR / "capacity.csv").read_text().replace(",RUB", ",BRL")
    (data_dir / "config" / "capacity.csv").write_text(capacity)
    (data_dir / "config" / "fixation_cost.csv").write_text(
        "channel,effective_from,cost_per_fixed_lead,currency\n*,2017-01-01,0,BRL\n"
    )
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
    result = run_membrana("run", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return data_dir


def test_every_lead_and_deal_arrives(olist):
    funnel = published_rows(olist, "funnel_daily")
    # no call tracking: every MQL is a contact-less lead, so it counts as an incoming contact
    assert sum(row["incoming_contacts"] for row in funnel) == 8000
    assert sum(row["fixed_leads"] for row in funnel) == 8000
    assert sum(row["deals_won"] for row in funnel) == 842


def test_the_marts_agree_with_the_independent_computation(olist):
    expected = reference_funnel_daily(olist, DEFAULT_CONFIG_DIR)
    assert_same_funnel(funnel_by_key(published_rows(olist, "funnel_daily"), "date"), expected,
                       FUNNEL_COLUMNS, MONEY_COLUMNS)


def test_won_deals_by_origin_match_the_source_documentation(olist):
    # SOURCE.md: won leads by origin — paid_search 195 + social 75 + display 6 = 276 online_ads
    kpi = published_rows(olist, "kpi_monthly")
    online = sum(row["deals_won"] for row in kpi if row["channel"] == "online_ads")
    assert online == 195 + 75 + 6


def test_the_marts_hold_the_contract_on_real_data(olist):
    if not CONTRACT_CHECK.exists():
        pytest.skip("shared/tools/contract_check.py is not beside the project")
    check = subprocess.run([sys.executable, str(CONTRACT_CHECK), str(olist)],
                           capture_output=True, text=True, check=False)
    assert "contract holds" in check.stdout, check.stdout


def test_the_planner_says_which_rates_real_data_cannot_give(olist):
    """Olist exports no meetings: booking and closing rates cannot be measured, and the planner
    says so in one line instead of guessing; given as flags, it plans."""
    refused = run_membrana("plan", "--json", data_dir=olist)
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "--closing-rate" in refused.stderr
    given = run_membrana("plan", "--json", "--booking-rate", "0.5", "--no-show-rate", "0.1", "--closing-rate", "0.4",
                         data_dir=olist)
    assert given.returncode == 0, given.stderr
    # 10 units × 2 jobs × 22 days = 440 deals; / 0.4 = 1,100 held; / 0.9 = 1,222.2 booked; / 0.5 = 2,444.4 contacts
    assert json.loads(given.stdout)["required_contacts"] == pytest.approx(440 / 0.4 / 0.9 / 0.5)
