"""Late-arriving updates through two nightly runs, against a full rebuild of the same files and figures
worked out by hand: a meeting that turns from planned to held, a deal won a month after its lead, and a
contact whose corrected date leaves its old day with no event at all (that day's row must go).

The second night also brings what only incremental staging could get wrong, since it recomputes just
the records with new versions: an older version arriving late (it must not win), a newer version that
is rejected (the staged one stays), a file that contradicts itself about a known contact (both lines
quarantined, the staged version stays) and a contact never seen before."""

from datetime import date
from pathlib import Path

import pytest

from tests.support.marts import (
    assert_same_tables,
    built_night_by_night_and_in_one,
    funnel_by_key,
    published_rows,
)

CONTACTS = "contact_id,received_at,contact_type,source,medium,campaign,client_key,lead_id,updated_at\n"
LEADS = "lead_id,created_at,client_key,source,medium,campaign,status,operator_id,manager_id,updated_at\n"
MEETINGS = "lead_id,meeting_id,booked_at,scheduled_at,status,manager_id,updated_at\n"
DEALS = "deal_id,lead_id,client_key,created_at,closed_at,status,amount,currency,updated_at\n"

FIRST_NIGHT = {
    "landing/contacts/contacts_2026-09-30.csv": CONTACTS
    + "c1,2026-09-01 10:00:00,call,yandex,cpc,autumn,,l1,2026-09-01 10:00:00\n"
    + "c2,2026-09-10 12:00:00,form,google,cpc,autumn,,,2026-09-10 12:00:00\n"
    + "c3,2026-09-15 10:00:00,call,tv_first,,,,,2026-09-15 10:00:00\n"
    + "c4,2026-09-20 10:00:00,call,tv_first,,,,,2026-09-20 10:00:00\n"
    + "c5,2026-09-21 10:00:00,call,tv_first,,,,,2026-09-21 10:00:00\n",
    "landing/leads/leads_2026-09-30.csv": LEADS + "l1,2026-09-01 11:00:00,,yandex,cpc,autumn,new,op1,m1,2026-09-01 11:00:00\n",
    "landing/meetings/meetings_2026-09-30.csv": MEETINGS
    + "l1,m1,2026-09-02 09:00:00,2026-09-25 10:00:00,planned,m1,2026-09-02 09:00:00\n",
    "landing/deals/deals_2026-09-30.csv": DEALS + "d1,l1,,2026-09-03 10:00:00,,open,50000,RUB,2026-09-03 10:00:00\n",
}
SECOND_NIGHT = {
    # the meeting was held; the deal is won a month after its lead; c2's date was entered wrongly
    "landing/meetings/meetings_2026-10-31.csv": MEETINGS
    + "l1,m1,2026-09-02 09:00:00,2026-09-25 10:00:00,held,m1,2026-09-25 12:00:00\n",
    "landing/deals/deals_2026-10-31.csv": DEALS
    + "d1,l1,,2026-09-03 10:00:00,2026-10-03 15:00:00,won,50000,RUB,2026-10-03 15:00:00\n",
    "landing/contacts/contacts_2026-10-31.csv": CONTACTS
    + "c2,2026-09-11 12:00:00,form,google,cpc,autumn,,,2026-10-01 09:00:00\n"
    # an older version of c3 than the one staged: it must not win
    + "c3,2026-09-16 10:00:00,call,yandex,cpc,,,,2026-09-14 10:00:00\n"
    # a newer version of c4 that is rejected: c4 stays where it was
    + "c4,not a date,call,yandex,cpc,,,,2026-10-02 10:00:00\n"
    # two different versions of c5 at the same updated_at: both rejected, c5 stays where it was
    + "c5,2026-09-22 10:00:00,call,yandex,cpc,,,,2026-10-02 11:00:00\n"
    + "c5,2026-09-23 10:00:00,call,yandex,cpc,,,,2026-10-02 11:00:00\n"
    + "c6,2026-10-05 10:00:00,call,yandex,cpc,,,,2026-10-05 10:00:00\n",
}
# The second night's contacts file, line by line (the header is line 1).
SECOND_NIGHT_QUARANTINE = {
    ("contacts_2026-10-31.csv", 4, "received_at is not a timestamp"),
    ("contacts_2026-10-31.csv", 5, "contact_id c5 has different values at the same updated_at on lines 5 and 6 of this file"),
    ("contacts_2026-10-31.csv", 6, "contact_id c5 has different values at the same updated_at on lines 5 and 6 of this file"),
}

# yandex% and google% are online_ads, tv% is tv by the default channel rules; fixation costs 0 by default.
EXPECTED = {
    (date(2026, 9, 1), "online_ads"): {"incoming_contacts": 1, "fixed_leads": 1},
    (date(2026, 9, 2), "online_ads"): {"meetings_booked": 1},
    (date(2026, 9, 11), "online_ads"): {"incoming_contacts": 1},
    (date(2026, 9, 15), "tv"): {"incoming_contacts": 1},
    (date(2026, 9, 20), "tv"): {"incoming_contacts": 1},
    (date(2026, 9, 21), "tv"): {"incoming_contacts": 1},
    (date(2026, 9, 25), "online_ads"): {"meetings_held": 1},
    (date(2026, 10, 3), "online_ads"): {"deals_won": 1, "revenue": 50000},
    (date(2026, 10, 5), "online_ads"): {"incoming_contacts": 1},
}
MEASURES = ("incoming_contacts", "fixed_leads", "meetings_booked", "meetings_held", "no_shows", "deals_won",
            "revenue")


@pytest.fixture(scope="module")
def nightly_and_full(tmp_path_factory):
    seen, nightly, full = built_night_by_night_and_in_one(
        tmp_path_factory, [FIRST_NIGHT, SECOND_NIGHT],
        after_each_night=lambda data_dir: funnel_by_key(published_rows(data_dir, "funnel_daily"), "date"),
    )
    return seen[0], nightly, full


def test_the_first_night_counts_what_it_knows(nightly_and_full):
    after_first_night, _, _ = nightly_and_full
    assert after_first_night[(date(2026, 9, 10), "online_ads")]["incoming_contacts"] == 1
    assert (date(2026, 9, 25), "online_ads") not in after_first_night  # planned: nothing held yet
    assert (date(2026, 10, 3), "online_ads") not in after_first_night


def test_the_second_night_equals_the_hand_worked_figures(nightly_and_full):
    _, nightly, _ = nightly_and_full
    funnel = funnel_by_key(published_rows(nightly, "funnel_daily"), "date")
    assert set(funnel) == set(EXPECTED), "a day that lost its only event must have no row"
    for key, measures in EXPECTED.items():
        assert {m: funnel[key][m] for m in MEASURES} == {m: measures.get(m, 0) for m in MEASURES}, key


def test_night_by_night_marts_equal_a_full_rebuild(nightly_and_full):
    _, nightly, full = nightly_and_full
    assert {"funnel_daily", "kpi_monthly"} <= set(assert_same_tables(nightly, full, "marts"))


def quarantined(data_dir) -> set[tuple]:
    """Each quarantined row as (file name, line, the first line of its reason)."""
    return {(Path(row["source_file"]).name, row["line_number"], row["reason"].split(":")[0])
            for row in published_rows(data_dir, "audit.quarantine")}


def test_rows_rejected_on_the_second_night_are_quarantined_as_in_a_full_rebuild(nightly_and_full):
    _, nightly, full = nightly_and_full
    assert quarantined(nightly) == SECOND_NIGHT_QUARANTINE
    assert quarantined(full) == SECOND_NIGHT_QUARANTINE
