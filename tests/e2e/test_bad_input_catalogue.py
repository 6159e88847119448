"""The bad-input catalogue: one landing folder holding every kind of broken row next to a few good
ones, run through the pipeline once. Each case asserts its exact quarantine reason; the good rows'
marts are worked out by hand below, every file's rows are accounted for (staged + quarantined +
superseded = read), and loads that must abort are checked on the loader directly."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.build.reconciliation import ReconciliationError, reconcile_files
from orchestration.data_folder import DEFAULT_CONFIG_DIR
from orchestration.ingest.landing import LandingError, load_config, load_entity
from tests.support.marts import assert_same_funnel, funnel_by_key, published_rows
from tests.support.membrana import run_membrana
from tests.support.reference_funnel import FUNNEL_COLUMNS, MONEY_COLUMNS, reference_funnel_daily

# Each file: its lines after the header, as (line text, the reason it is quarantined or None).
CONTACTS_HEADER = "contact_id,received_at,contact_type,source,medium,campaign,client_key,lead_id,updated_at"
LEADS_HEADER = "lead_id,created_at,client_key,source,medium,campaign,status,operator_id,manager_id,updated_at"
MEETINGS_HEADER = "lead_id,meeting_id,booked_at,scheduled_at,status,manager_id,updated_at"
DEALS_HEADER = "deal_id,lead_id,client_key,created_at,closed_at,status,amount,currency,updated_at"
AD_SPEND_HEADER = "date,platform,campaign,source,medium,cost,currency,impressions,clicks"
COSTS_HEADER = "period_start,period_end,channel,cost_type,amount,currency"
FX_HEADER = "date,currency,rate_to_base"

CONFLICT = (
    "contact_id gx has different values at the same updated_at on lines 9 and 10 of this file: "
    "keep one version or give the newer one a later updated_at"
)
MEETING_STATUS = "status is not one of planned, held, no_show, cancelled, rescheduled"
NOT_A_CODE = "currency is not a 3-letter ISO 4217 code"

FILES = {
    "contacts/contacts_1.csv": (CONTACTS_HEADER, [
        ("g1,2026-02-02 10:00:00,call,yandex,cpc,,+7 916 000-00-01,gl1,2026-02-02 10:00:00", None),
        ("g1,2026-02-02 10:00:00,call,yandex,cpc,,+7 916 000-00-01,gl1,2026-02-02 10:00:00", None),  # duplicate
        (",2026-02-02 11:00:00,call,yandex,,,,,", "contact_id is empty"),
        ("b2,,call,yandex,,,,,", "received_at is empty"),
        ("b3,02.02.2026 10:00,call,yandex,,,,,", "received_at is not a timestamp"),
        ("b4,2026-02-02 12:00:00,call,,,,,,", "source is empty"),
        ("b5,2026-02-02 12:00:00,call,yandex,,,,,yesterday", "updated_at is not a timestamp"),
        ("gx,2026-02-02 13:00:00,call,yandex,,,,,2026-02-02 13:00:00", CONFLICT),
        ("gx,2026-02-02 13:00:00,call,google,,,,,2026-02-02 13:00:00", CONFLICT),
        ("g2,2026-02-03 09:00:00,form,partner,,,,,2026-02-03 09:00:00", None),  # superseded by contacts_2
    ]),
    "contacts/contacts_2.csv": (CONTACTS_HEADER, [
        ("g2,2026-02-03 09:00:00,form,radio,,,,,2026-02-03 12:00:00", None),
    ]),
    # Linking by client key (config below): calls from yandex within 3 days, forms within 1 day.
    "contacts/contacts_3.csv": (CONTACTS_HEADER, [
        ("k1,2026-02-10 09:00:00,call,yandex,cpc,,8 (916) 111-22-33,,", None),  # → lk1, the earliest in window
        ('k2,2026-02-10 09:00:00,form,tv,,," Client@Example.RU ",,', None),  # lk3 is 27 h later: unlinked
        ("k3,2026-02-12 09:00:00,chat,yandex,,,+7 916 111-22-33,,", None),  # chats are not linked
        ("k4,2026-02-10 08:00:00,call,yandex,,,+7 999 000-00-00,,", None),  # no lead with this key
        ("k5,2026-02-13 09:00:00,call,yandex,,,89161112233,,", None),  # its client's leads are all earlier
    ]),
    "leads/leads_1.csv": (LEADS_HEADER, [
        ("gl1,2026-02-02 10:05:00,+79160000001,,,,new,op1,m1,2026-02-02 10:05:00", None),
        (",2026-02-02 10:00:00,,,,,new,,,", "lead_id is empty"),
        ("bl2,,,,,,new,,,", "created_at is empty"),
        ("bl3,2026-13-01 00:00:00,,,,,new,,,", "created_at is not a timestamp"),
        ("bl4,2026-02-02 10:00:00,,,,,new,,,2026-02-30", "updated_at is not a timestamp"),
        ("gl2,2026-02-04 09:00:00,,partner_x,,,new,,,", None),
    ]),
    "leads/leads_2.csv": (LEADS_HEADER, [
        ("lk1,2026-02-11 10:00:00,+79161112233,avito,,,new,,,", None),
        ("lk2,2026-02-12 10:00:00,+7 (916) 111-22-33,avito,,,new,,,", None),
        ("lk3,2026-02-11 12:00:00,client@example.ru,partner,,,new,,,", None),
    ]),
    "meetings/meetings_1.csv": (MEETINGS_HEADER, [
        ("gl1,gm1,2026-02-03 10:00:00,2026-02-05 10:00:00,held,m1,2026-02-05 12:00:00", None),
        ("gl1,,2026-02-03 10:00:00,,planned,,", "meeting_id is empty"),
        (",bm2,2026-02-03 10:00:00,,planned,,", "lead_id is empty"),
        ("gl1,bm3,,,planned,,", "booked_at is empty"),
        ("gl1,bm4,tomorrow,,planned,,", "booked_at is not a timestamp"),
        ("gl1,bm5,2026-02-03 10:00:00,soon,planned,,", "scheduled_at is not a timestamp"),
        ("gl1,bm6,2026-02-03 10:00:00,,,,", "status is empty"),
        ("gl1,bm7,2026-02-03 10:00:00,,done,,", MEETING_STATUS),
        ("gl1,bm8,2026-02-03 10:00:00,,held,,", "a held or no-show meeting has no scheduled_at"),
        ("gl2,gm2,2026-02-04 10:00:00,2026-02-06 10:00:00,no_show,,", None),
    ]),
    "deals/deals_1.csv": (DEALS_HEADER, [
        ("gd1,gl1,,2026-02-05 11:00:00,2026-02-06 11:00:00,won,1000,USD,2026-02-06 11:00:00", None),
        (",gl1,,2026-02-05 11:00:00,,open,,,", "deal_id is empty"),
        ("bd2,gl1,,,,open,,,", "created_at is empty"),
        ("bd3,gl1,,05.02.2026,,open,,,", "created_at is not a timestamp"),
        ("bd4,gl1,,2026-02-05 11:00:00,someday,open,,,", "closed_at is not a timestamp"),
        ("bd5,gl1,,2026-02-05 11:00:00,,,,,", "status is empty"),
        ("bd6,gl1,,2026-02-05 11:00:00,,pending,,,", "status is not one of open, won, lost"),
        ("bd7,gl1,,2026-02-05 11:00:00,,lost,abc,,", "amount is not a number"),
        ("bd8,gl1,,2026-02-05 11:00:00,,lost,-5,,", "amount is negative"),
        ("bd9,gl1,,2026-02-05 11:00:00,2026-02-06 11:00:00,won,,,", "a won deal has no amount"),
        ("bd10,gl1,,2026-02-05 11:00:00,,won,100,,", "a won deal has no closed_at"),
        ("bd11,gl1,,2026-02-05 11:00:00,,lost,10,руб,", NOT_A_CODE),
        ("bd12,gl1,,2026-02-05 11:00:00,2026-02-06 11:00:00,won,50,EUR,", "no exchange rate for EUR on or before 2026-02-06"),
        ("bd13,gl1,,2026-02-05 11:00:00,,open,,,x", "updated_at is not a timestamp"),
        ("gd2,gl2,,2026-02-06 09:00:00,,lost,,,", None),
    ]),
    "ad_spend/ad_spend_1.csv": (AD_SPEND_HEADER, [
        ("2026-02-02,yandex_direct,spring,,,500,RUB,1000,50", None),
        (",yandex_direct,,,,10,RUB,,", "date is empty"),
        ("02.02.2026,yandex_direct,,,,10,RUB,,", "date is not a date"),
        ("2026-02-02,,,,,10,RUB,,", "platform is empty"),
        ("2026-02-02,yandex_direct,,,,,RUB,,", "cost is empty"),
        ('2026-02-02,yandex_direct,,,,"1 000",RUB,,', "cost is not a number"),
        ("2026-02-02,yandex_direct,,,,-10,RUB,,", "cost is negative"),
        ("2026-02-02,yandex_direct,,,,10,,,", "currency is empty"),
        ("2026-02-02,yandex_direct,,,,10,руб.,,", NOT_A_CODE),
        ("2026-02-02,yandex_direct,,,,10,RUB,1.5,", "impressions is not a whole number >= 0"),
        ("2026-02-02,yandex_direct,,,,10,RUB,,many", "clicks is not a whole number >= 0"),
        ("2026-01-15,google_ads,,google,cpc,10,USD,,", "no exchange rate for USD on or before 2026-01-15"),
        ("2026-02-03,google_ads,x,google,cpc,10,USD,100,5", None),
    ]),
    "costs/costs_1.csv": (COSTS_HEADER, [
        ("2026-02-01,2026-02-02,tv,tv_flight,200,RUB", None),
        (",2026-02-02,tv,,10,RUB", "period_start is empty"),
        ("01.02.2026,2026-02-02,tv,,10,RUB", "period_start is not a date"),
        ("2026-02-02,,tv,,10,RUB", "period_end is empty"),
        ("2026-02-03,2026-02-01,tv,,10,RUB", "period_end is before period_start"),
        ("2026-02-01,2026-02-02,,,10,RUB", "channel is empty"),
        ("2026-02-01,2026-02-02,tv,,-10,RUB", "amount is negative"),
        ("2026-02-01,2026-02-02,tv,,ten,RUB", "amount is not a number"),
        ("2026-02-01,2026-02-02,tv,,10,XXXX", NOT_A_CODE),
        ("2026-02-01,2026-02-02,tv,,10,EUR", "no exchange rate for EUR on or before the period start"),
    ]),
    "fx_rates/fx_1.csv": (FX_HEADER, [
        ("2026-02-01,USD,90", None),
        ('2026-02-01,EUR,"90,5"', "rate_to_base is not a number"),
        ("2026-02-02,USD,0", "rate_to_base is not positive"),
        (",USD,91", "date is empty"),
        ("2026-02-03,,91", "currency is empty"),
        ("2026-02-04,US,91", NOT_A_CODE),
        ("2026-02-05,USD,", "rate_to_base is empty"),
    ]),
}

# (file, line) → reason; line 1 is the header, so a file's first data row is line 2.
EXPECTED_QUARANTINE = {
    (name, line): reason
    for name, (_, rows) in FILES.items()
    for line, (_, reason) in enumerate(rows, start=2)
    if reason is not None
}

# Where each file's rows end up, counted by hand from FILES: (read, staged, quarantined, superseded).
EXPECTED_FILE_COUNTS = {
    "contacts/contacts_1.csv": (10, 1, 7, 2),  # g1 staged; its duplicate and the old g2 superseded
    "contacts/contacts_2.csv": (1, 1, 0, 0),
    "contacts/contacts_3.csv": (5, 5, 0, 0),
    "leads/leads_2.csv": (3, 3, 0, 0),
    "leads/leads_1.csv": (6, 2, 4, 0),
    "meetings/meetings_1.csv": (10, 2, 8, 0),
    "deals/deals_1.csv": (15, 2, 13, 0),
    "ad_spend/ad_spend_1.csv": (13, 2, 11, 0),
    "costs/costs_1.csv": (10, 1, 9, 0),
    "fx_rates/fx_1.csv": (7, 1, 6, 0),
}


def day(n: int) -> date:
    return date(2026, 2, n)


def funnel_row(**values) -> dict:
    row = {column: 0 for column in FUNNEL_COLUMNS}
    row.update(values)
    row["acquisition_cost"] = row["ad_spend"] + row["other_costs"] + row["fixation_cost"]
    return {column: Decimal(value) if column in MONEY_COLUMNS else value for column, value in row.items()}


# The good rows, by hand (default config: fixation price 0, base RUB; USD 90 from 1 Feb, the 0 rate of
# 2 Feb is quarantined so 90 still holds on 3 and 6 Feb).
EXPECTED_FUNNEL = {
    (day(1), "tv"): funnel_row(other_costs=100),  # 200 over 1-2 Feb
    (day(2), "tv"): funnel_row(other_costs=100),
    (day(2), "online_ads"): funnel_row(incoming_contacts=1, fixed_leads=1, ad_spend=500),  # g1 → gl1
    (day(3), "tv"): funnel_row(incoming_contacts=1),  # g2, latest version from radio
    (day(3), "online_ads"): funnel_row(meetings_booked=1, ad_spend=900),  # gm1; 10 USD × 90
    (day(4), "partners"): funnel_row(incoming_contacts=1, fixed_leads=1, meetings_booked=1),  # gl2, gm2
    (day(5), "online_ads"): funnel_row(meetings_held=1),
    (day(6), "partners"): funnel_row(no_shows=1),
    (day(6), "online_ads"): funnel_row(deals_won=1, revenue=90000),  # 1,000 USD × 90
    # linking: k1 brings lk1 into online_ads; lk2 and lk3 have no contact and count as incoming themselves
    (day(10), "online_ads"): funnel_row(incoming_contacts=2),  # k1, k4
    (day(10), "tv"): funnel_row(incoming_contacts=1),  # k2
    (day(11), "online_ads"): funnel_row(fixed_leads=1),  # lk1, linked to k1
    (day(11), "partners"): funnel_row(incoming_contacts=1, fixed_leads=1),  # lk3
    (day(12), "online_ads"): funnel_row(incoming_contacts=1),  # k3
    (day(12), "aggregators"): funnel_row(incoming_contacts=1, fixed_leads=1),  # lk2
    (day(13), "online_ads"): funnel_row(incoming_contacts=1),  # k5
}

CONTACT_LINKING = "source,contact_type,link_window_days\nyandex%,call,\n,form,1\n"

# February by channel: (incoming contacts, with lead id, linked by client key, unlinked, leads without contact)
EXPECTED_LINKING = {
    "online_ads": (5, 1, 1, 3, 0),  # g1 recorded; k1 linked; k3, k4, k5 not
    "tv": (2, 0, 0, 2, 0),  # g2 (a form without a client key), k2 (outside its 1-day window)
    "partners": (0, 0, 0, 0, 2),  # gl2, lk3
    "aggregators": (0, 0, 0, 0, 1),  # lk2
}


def write_landing(data_dir: Path) -> None:
    (data_dir / "config").mkdir(parents=True, exist_ok=True)
    (data_dir / "config" / "contact_linking.csv").write_text(CONTACT_LINKING)
    for name, (header, rows) in FILES.items():
        path = data_dir / "landing" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join([header] + [text for text, _ in rows]) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("catalogue")
    write_landing(data_dir)
    result = run_membrana("run", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return data_dir


def relative(data_dir: Path, source_file: str) -> str:
    return Path(source_file).relative_to(data_dir / "landing").as_posix()


@pytest.fixture(scope="module")
def quarantine(catalogue):
    rows = published_rows(catalogue, "audit.quarantine")
    return {(relative(catalogue, row["source_file"]), row["line_number"]): row for row in rows}


def test_the_catalogue_has_at_least_25_cases():
    assert len(EXPECTED_QUARANTINE) >= 25


@pytest.mark.parametrize("case", sorted(EXPECTED_QUARANTINE), ids=lambda case: f"{case[0]}:{case[1]}")
def test_each_bad_row_is_quarantined_with_its_reason(case, quarantine):
    assert case in quarantine, f"{case} was not quarantined"
    assert quarantine[case]["reason"] == EXPECTED_QUARANTINE[case]
    assert quarantine[case]["entity"] == case[0].split("/")[0]


def test_no_other_row_is_quarantined(quarantine):
    assert set(quarantine) == set(EXPECTED_QUARANTINE)


def test_the_raw_record_is_kept_and_personal_data_only_hashed(catalogue, quarantine):
    contact = quarantine[("contacts/contacts_1.csv", 6)]["raw_record"]
    assert contact.startswith("contact_id=b3; received_at=02.02.2026 10:00; contact_type=call; source=yandex")
    fx = quarantine[("fx_rates/fx_1.csv", 3)]["raw_record"]
    assert fx == "date=2026-02-01; currency=EUR; rate_to_base=90,5"
    records = " ".join(row["raw_record"] for row in quarantine.values())
    assert "916" not in records


def test_the_good_rows_make_the_hand_computed_funnel(catalogue):
    actual = funnel_by_key(published_rows(catalogue, "funnel_daily"), "date")
    assert_same_funnel(actual, EXPECTED_FUNNEL, FUNNEL_COLUMNS, MONEY_COLUMNS)


def test_the_independent_reference_follows_the_same_rules(catalogue):
    expected = reference_funnel_daily(catalogue, DEFAULT_CONFIG_DIR)
    assert_same_funnel(expected, EXPECTED_FUNNEL, FUNNEL_COLUMNS, MONEY_COLUMNS)


def test_contacts_without_a_lead_id_are_linked_by_client_key_and_the_gap_reported(catalogue):
    rows = published_rows(catalogue, "contact_linking_monthly")
    assert {row["month"] for row in rows} == {date(2026, 2, 1)}
    actual = {
        row["channel"]: (row["incoming_contacts"], row["contacts_with_lead_id"], row["contacts_linked_by_client_key"],
                         row["contacts_unlinked"], row["leads_without_contact"])
        for row in rows
    }
    assert actual == EXPECTED_LINKING
    shares = {row["channel"]: row["unlinked_share"] for row in rows}
    assert shares == {"online_ads": pytest.approx(3 / 5), "tv": 1.0, "partners": None, "aggregators": None}


@pytest.fixture(scope="module")
def manifest(catalogue):
    with duckdb.connect(str(catalogue / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select file_path, file_size, file_hash, rows_read, rows_loaded, rows_staged, rows_quarantined, "
            "rows_superseded, loaded_at from audit.load_manifest"
        ).fetchall()
    return {relative(catalogue, row[0]): row[1:] for row in rows}


@pytest.mark.parametrize("name", sorted(EXPECTED_FILE_COUNTS))
def test_every_file_reconciles_in_the_load_manifest(name, manifest, catalogue):
    size, digest, rows_read, rows_loaded, staged, quarantined, superseded, loaded_at = manifest[name]
    path = catalogue / "landing" / name
    assert size == path.stat().st_size and len(digest) == 64 and isinstance(loaded_at, datetime)
    assert (rows_read, staged, quarantined, superseded) == EXPECTED_FILE_COUNTS[name]
    assert rows_loaded == rows_read


def test_a_file_that_does_not_add_up_fails_with_its_name(catalogue, tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    warehouse.write_bytes((catalogue / "warehouse.duckdb").read_bytes())
    leads_file = catalogue / "landing" / "leads" / "leads_1.csv"
    with duckdb.connect(str(warehouse)) as con:
        assert reconcile_files(con) == len(EXPECTED_FILE_COUNTS)
        # a raw row lost after loading: the manifest still says 6 were read
        con.execute("delete from raw.leads where source_line = 7")
        con.execute("delete from audit.file_reconciliation where source_file = ?", [str(leads_file)])
        con.execute(
            "insert into audit.file_reconciliation values ('leads', ?, 5, 1, 4, 0, true)", [str(leads_file)]
        )
        with pytest.raises(ReconciliationError) as lost:
            reconcile_files(con)
        # a row counted twice between raw and staging
        con.execute("update audit.file_reconciliation set rows_read = 6, rows_staged = 3 where source_file = ?",
                    [str(leads_file)])
        with pytest.raises(ReconciliationError) as twice:
            reconcile_files(con)
    assert str(lost.value) == (
        f"{leads_file}: the loader read 6 rows but raw holds 5; "
        "the warehouse was changed by hand: delete warehouse.duckdb so every file is loaded again"
    )
    assert str(twice.value) == (
        f"{leads_file}: 6 rows read but 3 staged + 4 quarantined + 0 superseded = 7; "
        "rows were lost or counted twice between raw and staging (a bug: report it with this file)"
    )


# Loads that abort: the whole file is refused with one line naming it and what to fix.


def test_a_file_without_a_required_column_is_refused(tmp_path):
    landing = tmp_path / "landing" / "deals"
    landing.mkdir(parents=True)
    (landing / "deals_9.csv").write_text("deal_id,lead_id,created_at\nd9,l1,2026-01-11 10:00:00\n")
    with duckdb.connect() as con, pytest.raises(LandingError) as refused:
        load_entity(con, "deals", landing, datetime(2026, 2, 1))
    assert str(refused.value) == (
        f"{landing / 'deals_9.csv'}: required column status missing from the header "
        "(a deals file needs deal_id, created_at, status)"
    )
    assert "\n" not in str(refused.value)


CAPACITY_HEADER = (
    "effective_from,production_units,jobs_per_unit_per_shift,shift_hours,working_days_per_month,meeting_hours,"
    "call_minutes,target_load,fixed_costs_per_month,variable_cost_per_job,gross_margin,base_currency"
)


@pytest.mark.parametrize(
    "name, text, message",
    [
        ("capacity", CAPACITY_HEADER + "\n2026-01-01,ten,2,8,22,1.5,6,0.7,0,0,0.45,RUB\n",
         " line 2: production_units 'ten' is not a valid decimal"),
        ("fixation_cost", "channel,effective_from,cost_per_fixed_lead,currency\n*,01.01.2026,100,RUB\n",
         " line 2: effective_from '01.01.2026' is not a valid date"),
        ("channel_rules", "priority,source,medium,campaign\n1,yandex,,\n",
         ": column channel missing (needs priority, source, medium, campaign, channel)"),
    ],
)
def test_a_bad_config_file_is_refused(name, text, message, tmp_path):
    config = tmp_path / "config"
    config.mkdir()
    (config / f"{name}.csv").write_text(text)
    with duckdb.connect() as con, pytest.raises(LandingError) as refused:
        load_config(con, name, config, DEFAULT_CONFIG_DIR)
    assert str(refused.value) == f"{config / name}.csv{message}"


def test_a_fixation_price_without_an_exchange_rate_stops_the_run_with_one_line(tmp_path):
    files = {
        "landing/fx_rates/fx.csv": "date,currency,rate_to_base\n2026-02-01,USD,90\n",
        "landing/contacts/contacts.csv": "contact_id,received_at,source\nc1,2026-02-02 10:00:00,yandex\n",
        # the first USD rate is of 1 February: the price of 15 January cannot be converted
        "config/fixation_cost.csv": "channel,effective_from,cost_per_fixed_lead,currency\n*,2026-01-15,2,USD\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    result = run_membrana("run", data_dir=tmp_path)
    assert result.returncode != 0
    assert result.stdout == ""
    assert result.stderr == (
        "membrana: nightly run failed: config/fixation_cost.csv: the price of channel * from 2026-01-15 is in "
        "USD, which has no exchange rate on or before that day: add USD rates to landing/fx_rates or give the "
        "price in RUB\n"
    )
    assert not (tmp_path / "published" / "membrana.duckdb").exists()
