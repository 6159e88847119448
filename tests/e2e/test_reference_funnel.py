"""Tests of the independent reference itself, on tiny data folders whose answers are worked out by hand."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.support.reference_funnel import (
    COUNT_COLUMNS,
    MONEY_COLUMNS,
    RATIO_COLUMNS,
    reference_funnel_daily,
    reference_kpi_monthly,
)

CONTACT_HEADER = "contact_id,received_at,source,medium,campaign,lead_id,updated_at"
LEAD_HEADER = "lead_id,created_at,source,medium,campaign,updated_at"
MEETING_HEADER = "meeting_id,lead_id,booked_at,scheduled_at,status,updated_at"
DEAL_HEADER = "deal_id,lead_id,created_at,closed_at,status,amount,currency,updated_at"
AD_SPEND_HEADER = "date,platform,source,medium,campaign,cost,currency"
COST_HEADER = "period_start,period_end,channel,cost_type,amount,currency"
FX_HEADER = "date,currency,rate_to_base"


def write_csv(path: Path, header: str, *rows: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


@pytest.fixture
def defaults_dir(tmp_path: Path) -> Path:
    """Small, fixed settings so the tests do not move when the shipped defaults change."""
    folder = tmp_path / "defaults"
    write_csv(
        folder / "capacity.csv",
        "effective_from,production_units,jobs_per_unit_per_shift,shift_hours,working_days_per_month,"
        "meeting_hours,call_minutes,target_load,fixed_costs_per_month,variable_cost_per_job,gross_margin,"
        "base_currency",
        "2000-01-01,10,2,8,22,1.5,6,0.7,1500000,2500,0.5,RUB",
    )
    write_csv(
        folder / "channel_rules.csv",
        "priority,source,medium,campaign,channel",
        "5,,organic,,brand",
        "10,yandex%,,,online_ads",
        "20,tv_,,,tv",
        "30,%,cpc,,online_ads",
    )
    write_csv(
        folder / "fixation_cost.csv",
        "channel,effective_from,cost_per_fixed_lead,currency",
        "*,2000-01-01,0,RUB",
    )
    return folder


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


def landing(data_dir: Path, entity: str, file_name: str = "export.csv") -> Path:
    return data_dir / "landing" / entity / file_name


def day(text: str) -> date:
    return date.fromisoformat(text)


def test_a_contact_less_lead_counts_as_incoming_on_its_created_at(data_dir, defaults_dir):
    write_csv(landing(data_dir, "contacts"), CONTACT_HEADER, "c1,2024-03-01 09:00:00,yandex,,,L1,")
    write_csv(
        landing(data_dir, "leads"),
        LEAD_HEADER,
        "L1,2024-03-01 10:00:00,tv1,,,",  # linked to c1: not an extra incoming contact
        "L2,2024-03-02 11:00:00,tv1,,,",  # no contact links to it: incoming on 2024-03-02
    )
    funnel = reference_funnel_daily(data_dir, defaults_dir)
    assert funnel[(day("2024-03-01"), "online_ads")]["incoming_contacts"] == 1
    assert funnel[(day("2024-03-01"), "online_ads")]["fixed_leads"] == 1  # L1 takes c1's channel
    assert funnel[(day("2024-03-02"), "tv")]["incoming_contacts"] == 1
    assert funnel[(day("2024-03-02"), "tv")]["fixed_leads"] == 1
    assert (day("2024-03-01"), "tv") not in funnel


def test_a_lead_takes_its_earliest_contacts_channel_ties_going_to_the_smaller_contact_id(
    data_dir, defaults_dir
):
    write_csv(
        landing(data_dir, "contacts"),
        CONTACT_HEADER,
        "c9,2024-03-01 09:00:00,tv1,,,L1,",  # earliest of L1's contacts
        "c5,2024-03-02 09:00:00,yandex,,,L1,",
        "b2,2024-03-01 09:00:00,yandex,,,L2,",  # same moment as c1: 'b2' < 'c1' wins
        "c1,2024-03-01 09:00:00,tv1,,,L2,",
    )
    write_csv(landing(data_dir, "leads"), LEAD_HEADER, "L1,2024-03-05,,,,", "L2,2024-03-06,,,,")
    funnel = reference_funnel_daily(data_dir, defaults_dir)
    assert funnel[(day("2024-03-05"), "tv")]["fixed_leads"] == 1  # L1 from c9
    assert funnel[(day("2024-03-06"), "online_ads")]["fixed_leads"] == 1  # L2 from b2
    assert (day("2024-03-05"), "online_ads") not in funnel


def test_the_latest_export_wins(data_dir, defaults_dir):
    # c1: the newest updated_at wins although its file sorts first.
    # c2: equal updated_at, so the later file name (b.csv) wins.
    # c3: a missing updated_at is the oldest version.
    write_csv(
        landing(data_dir, "contacts", "a.csv"),
        CONTACT_HEADER,
        "c1,2024-03-01,yandex,,,,2024-03-10 00:00:00",
        "c2,2024-03-01,yandex,,,,2024-03-05 00:00:00",
        "c3,2024-03-01,yandex,,,,2024-03-05 00:00:00",
    )
    write_csv(
        landing(data_dir, "contacts", "b.csv"),
        CONTACT_HEADER,
        "c1,2024-03-02,yandex,,,,2024-03-09 00:00:00",
        "c2,2024-03-03,yandex,,,,2024-03-05 00:00:00",
        "c3,2024-03-04,yandex,,,,",
    )
    funnel = reference_funnel_daily(data_dir, defaults_dir)
    incoming = {key[0]: row["incoming_contacts"] for key, row in funnel.items()}
    # c1 and c3 on 03-01 (from a.csv), c2 on 03-03 (from b.csv).
    assert incoming == {day("2024-03-01"): 2, day("2024-03-03"): 1}


def test_a_tie_in_one_file_with_different_values_is_quarantined_whole(data_dir, defaults_dir):
    # The file contradicts itself at the same updated_at: neither line can be chosen (docs/row_rules.md).
    # An exact duplicate line is no contradiction: L2 counts once.
    write_csv(
        landing(data_dir, "leads"),
        LEAD_HEADER,
        "L1,2024-03-01,yandex,,,2024-03-05",
        "L1,2024-03-02,yandex,,,2024-03-05",
        "L2,2024-03-03,yandex,,,2024-03-05",
        "L2,2024-03-03,yandex,,,2024-03-05",
    )
    funnel = reference_funnel_daily(data_dir, defaults_dir)
    assert list(funnel) == [(day("2024-03-03"), "online_ads")]
    assert funnel[(day("2024-03-03"), "online_ads")]["fixed_leads"] == 1


def test_won_deals_convert_at_the_latest_rate_over_a_weekend_gap(data_dir, defaults_dir):
    # Rates exist for Friday 2024-03-01 (90) and Monday 2024-03-04 (95); a deal closed on
    # Sunday 2024-03-03 uses Friday's 90: 100 USD -> 9000 RUB. Monday's deal: 10 USD x 95 = 950.
    write_csv(landing(data_dir, "fx_rates"), FX_HEADER, "2024-03-01,USD,90", "2024-03-04,usd,95")
    write_csv(landing(data_dir, "leads"), LEAD_HEADER, "L1,2024-02-20,yandex,,,")
    write_csv(
        landing(data_dir, "deals"),
        DEAL_HEADER,
        "d1,L1,2024-02-25,2024-03-03 15:00:00,won,100,USD,",
        "d2,L1,2024-02-25,2024-03-04 15:00:00,won,10,usd,",
        "d3,L1,2024-02-25,2024-03-04 15:00:00,won,7,,",  # empty currency = base: 7 RUB
        "d4,L1,2024-02-25,2024-03-04 15:00:00,lost,500,USD,",  # not won: not counted
    )
    funnel = reference_funnel_daily(data_dir, defaults_dir)
    assert funnel[(day("2024-03-03"), "online_ads")]["revenue"] == Decimal(9000)
    assert funnel[(day("2024-03-04"), "online_ads")]["revenue"] == Decimal(957)
    assert funnel[(day("2024-03-04"), "online_ads")]["deals_won"] == 2


def test_a_cost_is_spread_evenly_by_day_at_each_days_rate(data_dir, defaults_dir):
    # 300 RUB over 3 days = 100/day. 30 USD over 3 days = 10 USD/day at 90, 90, 100 -> 900, 900, 1000.
    write_csv(landing(data_dir, "fx_rates"), FX_HEADER, "2024-03-01,USD,90", "2024-03-03,USD,100")
    write_csv(
        landing(data_dir, "costs"),
        COST_HEADER,
        "2024-03-01,2024-03-03,tv,radio,300,RUB",
        "2024-03-01,2024-03-03,outdoor,billboards,30,USD",
    )
    funnel = reference_funnel_daily(data_dir, defaults_dir)
    tv = [funnel[(day(f"2024-03-0{n}"), "tv")]["other_costs"] for n in (1, 2, 3)]
    outdoor = [funnel[(day(f"2024-03-0{n}"), "outdoor")]["other_costs"] for n in (1, 2, 3)]
    assert tv == [Decimal(100)] * 3
    assert outdoor == [Decimal(900), Decimal(900), Decimal(1000)]
    assert funnel[(day("2024-03-02"), "tv")]["acquisition_cost"] == Decimal(100)


def test_ad_spend_with_no_source_takes_its_platform_as_source(data_dir, defaults_dir):
    write_csv(
        landing(data_dir, "ad_spend"),
        AD_SPEND_HEADER,
        "2024-03-01,Yandex Direct,,,,50.5,RUB",  # no source: platform 'yandex direct' matches yandex%
        "2024-03-01,vk,yandex,,,49.5,RUB",  # its own source wins over the platform
        "2024-03-01,vk,,,,10,RUB",  # 'vk' matches no rule
    )
    funnel = reference_funnel_daily(data_dir, defaults_dir)
    assert funnel[(day("2024-03-01"), "online_ads")]["ad_spend"] == Decimal("100.0")
    assert funnel[(day("2024-03-01"), "unknown")]["ad_spend"] == Decimal(10)


def test_channel_rules_use_like_patterns_case_insensitively_and_the_lowest_priority_wins(
    data_dir, defaults_dir
):
    write_csv(
        landing(data_dir, "contacts"),
        CONTACT_HEADER,
        "c1,2024-03-01, YANDEX ,organic,,,",  # matches priority 5 (brand) before 10 (online_ads)
        "c2,2024-03-01,TV1,,,,",  # tv_ : exactly one character after 'tv'
        "c3,2024-03-01,tv12,,,,",  # too long for tv_ -> unknown
        "c4,2024-03-01,tv,,,,",  # too short for tv_ -> unknown
        "c5,2024-03-01,mail.ru,cpc,,,",  # '%' source with cpc medium -> online_ads
        "c6,2024-03-01,newspaper,,,,",  # unmatched -> unknown
    )
    funnel = reference_funnel_daily(data_dir, defaults_dir)
    incoming = {key[1]: row["incoming_contacts"] for key, row in funnel.items()}
    assert incoming == {"brand": 1, "tv": 1, "unknown": 3, "online_ads": 1}


def test_meetings_and_deals_take_their_leads_channel_else_unknown(data_dir, defaults_dir):
    write_csv(landing(data_dir, "leads"), LEAD_HEADER, "L1,2024-03-01,yandex,,,")
    write_csv(
        landing(data_dir, "meetings"),
        MEETING_HEADER,
        "m1,L1,2024-03-02 10:00:00,2024-03-05 10:00:00,held,",
        "m2,L1,2024-03-02 11:00:00,2024-03-05 12:00:00,no_show,",
        "m3,L1,2024-03-02 12:00:00,,cancelled,",
        "m4,L404,2024-03-02 12:00:00,2024-03-06,HELD,",  # lead not found -> unknown
    )
    write_csv(
        landing(data_dir, "deals"),
        DEAL_HEADER,
        "d1,L1,2024-03-05,2024-03-06,won,1000,RUB,",
        "d2,,2024-03-05,2024-03-06,won,500,RUB,",  # no lead -> unknown
        "d3,L404,2024-03-05,2024-03-06,won,300,RUB,",  # lead not found -> unknown
    )
    funnel = reference_funnel_daily(data_dir, defaults_dir)
    assert funnel[(day("2024-03-02"), "online_ads")]["meetings_booked"] == 3
    assert funnel[(day("2024-03-02"), "unknown")]["meetings_booked"] == 1
    assert funnel[(day("2024-03-05"), "online_ads")]["meetings_held"] == 1
    assert funnel[(day("2024-03-05"), "online_ads")]["no_shows"] == 1
    assert funnel[(day("2024-03-06"), "unknown")]["meetings_held"] == 1
    assert funnel[(day("2024-03-06"), "online_ads")]["revenue"] == Decimal(1000)
    assert funnel[(day("2024-03-06"), "unknown")]["revenue"] == Decimal(800)
    # both unknown deals are untraced (no lead / a lead that is not there); d1 is traced
    assert funnel[(day("2024-03-06"), "unknown")]["deals_without_lead"] == 2
    assert funnel[(day("2024-03-06"), "unknown")]["revenue_without_lead"] == Decimal(800)
    assert funnel[(day("2024-03-06"), "online_ads")]["deals_without_lead"] == 0


def test_quarantined_rows_are_not_counted(data_dir, defaults_dir):
    write_csv(
        landing(data_dir, "contacts"),
        CONTACT_HEADER,
        "c1,2024-03-01,yandex,,,,",
        "c2,2024-03-01,,,,,",  # empty source
        "c3,2024-02-30,yandex,,,,",  # no such day
        "c4,2024-03-01,yandex,,,,yesterday",  # unparseable updated_at
    )
    write_csv(
        landing(data_dir, "meetings"),
        MEETING_HEADER,
        "m1,L1,2024-03-01,,held,",  # held without scheduled_at
        "m2,L1,2024-03-01,,done,",  # unknown status
    )
    write_csv(
        landing(data_dir, "deals"),
        DEAL_HEADER,
        "d1,,2024-03-01,2024-03-01,won,100,EUR,",  # no EUR rate at all
        "d2,,2024-03-01,2024-03-01,won,,RUB,",  # won without amount
        "d3,,2024-03-01,2024-03-01,won,-5,RUB,",  # negative amount
    )
    write_csv(landing(data_dir, "ad_spend"), AD_SPEND_HEADER, "2024-03-01,yandex,,,,1.2.3,RUB")
    write_csv(
        landing(data_dir, "costs"), COST_HEADER, "2024-03-02,2024-03-01,tv,,100,RUB"
    )  # ends before start
    funnel = reference_funnel_daily(data_dir, defaults_dir)
    assert list(funnel) == [(day("2024-03-01"), "online_ads")]  # nothing reached 'unknown' or 'tv'
    assert funnel[(day("2024-03-01"), "online_ads")]["incoming_contacts"] == 1
    assert funnel[(day("2024-03-01"), "online_ads")]["ad_spend"] == 0


def test_a_quarantined_newer_version_does_not_replace_a_valid_older_one(data_dir, defaults_dir):
    write_csv(
        landing(data_dir, "leads"),
        LEAD_HEADER,
        "L1,2024-03-01,yandex,,,2024-03-01",
        "L1,not a time,tv1,,,2024-03-09",
    )
    funnel = reference_funnel_daily(data_dir, defaults_dir)
    assert list(funnel) == [(day("2024-03-01"), "online_ads")]


def test_a_won_deal_before_the_first_rate_is_quarantined(data_dir, defaults_dir):
    write_csv(landing(data_dir, "fx_rates"), FX_HEADER, "2024-03-02,USD,90")
    write_csv(landing(data_dir, "deals"), DEAL_HEADER, "d1,,2024-03-01,2024-03-01,won,100,USD,")
    assert reference_funnel_daily(data_dir, defaults_dir) == {}


def test_a_channels_own_fixation_price_beats_the_star_and_the_latest_one_applies(data_dir, defaults_dir):
    # online_ads: own 50 RUB from 03-01, 2 USD from 03-10 (2 x 90 = 180 RUB, the rate of 03-10 even
    # though the rate rises to 100 later). tv: only '*' 20 RUB, although '*' is newer than online_ads' row.
    write_csv(
        data_dir / "config" / "fixation_cost.csv",
        "channel,effective_from,cost_per_fixed_lead,currency",
        "*,2024-02-01,20,RUB",
        "online_ads,2024-01-01,50,RUB",
        "online_ads,2024-03-10,2,USD",
    )
    write_csv(landing(data_dir, "fx_rates"), FX_HEADER, "2024-03-10,USD,90", "2024-03-11,USD,100")
    write_csv(
        landing(data_dir, "leads"),
        LEAD_HEADER,
        "L1,2024-03-09,yandex,,,",
        "L2,2024-03-09,yandex,,,",
        "L3,2024-03-12,yandex,,,",
        "L4,2024-03-12,tv1,,,",
    )
    funnel = reference_funnel_daily(data_dir, defaults_dir)
    assert funnel[(day("2024-03-09"), "online_ads")]["fixation_cost"] == Decimal(100)  # 2 x 50
    assert funnel[(day("2024-03-12"), "online_ads")]["fixation_cost"] == Decimal(180)  # 1 x 180
    assert funnel[(day("2024-03-12"), "tv")]["fixation_cost"] == Decimal(20)
    assert funnel[(day("2024-03-12"), "tv")]["acquisition_cost"] == Decimal(20)


def test_config_in_the_data_folder_replaces_the_default(data_dir, defaults_dir):
    write_csv(
        data_dir / "config" / "channel_rules.csv", "priority,source,medium,campaign,channel", "1,,,,partners"
    )
    write_csv(landing(data_dir, "contacts"), CONTACT_HEADER, "c1,2024-03-01,yandex,,,,")
    assert list(reference_funnel_daily(data_dir, defaults_dir)) == [(day("2024-03-01"), "partners")]


def test_a_landing_format_the_reference_cannot_read_is_refused(data_dir, defaults_dir):
    path = landing(data_dir, "contacts", "export.parquet")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"PAR1")
    with pytest.raises(ValueError, match="export.parquet"):
        reference_funnel_daily(data_dir, defaults_dir)


def funnel_row(**values) -> dict:
    row = {**dict.fromkeys(COUNT_COLUMNS, 0), **dict.fromkeys(MONEY_COLUMNS, Decimal(0)), **values}
    row["acquisition_cost"] = row["ad_spend"] + row["other_costs"] + row["fixation_cost"]
    return row


def test_kpi_monthly_sums_the_days_and_divides(data_dir, defaults_dir):
    funnel = {
        (day("2024-03-01"), "tv"): funnel_row(
            incoming_contacts=30,
            fixed_leads=10,
            meetings_booked=10,
            meetings_held=5,
            no_shows=2,
            ad_spend=Decimal(600),
        ),
        (day("2024-03-20"), "tv"): funnel_row(
            incoming_contacts=10,
            fixed_leads=10,
            meetings_held=3,
            deals_won=4,
            revenue=Decimal(4000),
            other_costs=Decimal(400),
        ),
    }
    kpi = reference_kpi_monthly(funnel, data_dir, defaults_dir)
    march = kpi[(day("2024-03-01"), "tv")]
    assert march["incoming_contacts"] == 40 and march["acquisition_cost"] == Decimal(1000)
    assert march["cost_per_contact"] == Decimal(50)  # 1000 / 20 fixed leads
    assert march["fixation_rate"] == Decimal("0.5")  # 20 / 40
    assert march["booking_rate"] == Decimal("0.25")  # 10 / 40
    assert march["no_show_rate"] == Decimal("0.2")  # 2 / 10
    assert march["closing_rate"] == Decimal("0.5")  # 4 / 8 held
    assert march["conversion_rate"] == Decimal("0.2")  # 4 / 20
    assert march["average_check"] == Decimal(1000)  # 4000 / 4
    assert march["cost_per_deal"] == Decimal(250)  # 1000 / 4
    assert march["romi"] == Decimal(1)  # (4000 x 0.5 - 1000) / 1000


def test_deals_without_lead_count_in_the_totals_but_not_in_the_pass_rates(data_dir, defaults_dir):
    funnel = {
        (day("2024-03-05"), "unknown"): funnel_row(
            incoming_contacts=4, fixed_leads=2, meetings_held=1, ad_spend=Decimal(100),
        ),
        (day("2024-03-06"), "unknown"): funnel_row(
            deals_won=5, deals_without_lead=4, revenue=Decimal(5000), revenue_without_lead=Decimal(4000),
        ),
    }
    march = reference_kpi_monthly(funnel, data_dir, defaults_dir)[(day("2024-03-01"), "unknown")]
    assert march["deals_won"] == 5 and march["revenue"] == Decimal(5000)  # totals keep them
    assert march["closing_rate"] == Decimal(1)  # (5 - 4) / 1 held, not 5
    assert march["conversion_rate"] == Decimal("0.5")  # 1 / 2 fixed, not 2.5
    assert march["average_check"] == Decimal(1000)  # 5000 / 5: every deal's revenue over every deal
    assert march["cost_per_deal"] == Decimal(20)  # 100 / 5
    assert march["romi"] == Decimal(24)  # (5000 x 0.5 - 100) / 100


def test_kpi_ratios_over_zero_are_null(data_dir, defaults_dir):
    funnel = {(day("2024-04-15"), "unknown"): funnel_row(incoming_contacts=3)}
    april = reference_kpi_monthly(funnel, data_dir, defaults_dir)[(day("2024-04-01"), "unknown")]
    assert april["fixation_rate"] == april["booking_rate"] == 0  # 0 / 3 is a real zero
    nulls = [name for name in RATIO_COLUMNS if name not in ("fixation_rate", "booking_rate")]
    assert {name: april[name] for name in nulls} == dict.fromkeys(nulls)


def test_romi_uses_the_gross_margin_in_force_on_the_first_day_of_the_month(data_dir, defaults_dir):
    write_csv(
        data_dir / "config" / "capacity.csv",
        "effective_from,production_units,gross_margin,base_currency",
        "2000-01-01,10,0.5,RUB",
        "2024-04-01,12,0.8,RUB",
    )
    row = funnel_row(deals_won=1, revenue=Decimal(1000), ad_spend=Decimal(100))
    funnel = {(day("2024-03-31"), "tv"): row, (day("2024-04-01"), "tv"): row}
    kpi = reference_kpi_monthly(funnel, data_dir, defaults_dir)
    assert kpi[(day("2024-03-01"), "tv")]["romi"] == Decimal(4)  # (1000 x 0.5 - 100) / 100
    assert kpi[(day("2024-04-01"), "tv")]["romi"] == Decimal(7)  # (1000 x 0.8 - 100) / 100
    assert set(kpi[(day("2024-04-01"), "tv")]) == set(COUNT_COLUMNS + MONEY_COLUMNS + RATIO_COLUMNS)
