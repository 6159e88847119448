"""Late-arriving updates through two nightly runs, against a full rebuild of the same files and figures
worked out by hand: a meeting that turns from planned to held, a deal won a month after its lead, and a
contact whose corrected date leaves its old day with no event at all (that day's row must go)."""

from datetime import date

import pytest
from conftest import funnel_by_key, published_rows, run_membrana

CONTACTS = "contact_id,received_at,contact_type,source,medium,campaign,client_key,lead_id,updated_at\n"
LEADS = "lead_id,created_at,client_key,source,medium,campaign,status,operator_id,manager_id,updated_at\n"
MEETINGS = "lead_id,meeting_id,booked_at,scheduled_at,status,manager_id,updated_at\n"
DEALS = "deal_id,lead_id,client_key,created_at,closed_at,status,amount,currency,updated_at\n"

FIRST_NIGHT = {
    "landing/contacts/contacts_2026-09-30.csv": CONTACTS
    + "c1,2026-09-01 10:00:00,call,yandex,cpc,autumn,,l1,2026-09-01 10:00:00\n"
    + "c2,2026-09-10 12:00:00,form,google,cpc,autumn,,,2026-09-10 12:00:00\n",
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
    + "c2,2026-09-11 12:00:00,form,google,cpc,autumn,,,2026-10-01 09:00:00\n",
}

# yandex% and google% are online_ads by the default channel rules; fixation costs 0 by default.
EXPECTED = {
    (date(2026, 9, 1), "online_ads"): {"incoming_contacts": 1, "fixed_leads": 1},
    (date(2026, 9, 2), "online_ads"): {"meetings_booked": 1},
    (date(2026, 9, 11), "online_ads"): {"incoming_contacts": 1},
    (date(2026, 9, 25), "online_ads"): {"meetings_held": 1},
    (date(2026, 10, 3), "online_ads"): {"deals_won": 1, "revenue": 50000},
}
MEASURES = ("incoming_contacts", "fixed_leads", "meetings_booked", "meetings_held", "no_shows", "deals_won",
            "revenue")


def write(data_dir, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = data_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture(scope="module")
def nightly_and_full(tmp_path_factory):
    nightly = tmp_path_factory.mktemp("nightly")
    write(nightly, FIRST_NIGHT)
    first = run_membrana("run", data_dir=nightly)
    assert first.returncode == 0, first.stderr
    after_first_night = funnel_by_key(published_rows(nightly, "funnel_daily"), "date")
    write(nightly, SECOND_NIGHT)
    second = run_membrana("run", data_dir=nightly)
    assert second.returncode == 0, second.stderr
    full = tmp_path_factory.mktemp("full")
    write(full, FIRST_NIGHT | SECOND_NIGHT)
    rebuilt = run_membrana("run", "--full-refresh", data_dir=full)
    assert rebuilt.returncode == 0, rebuilt.stderr
    return after_first_night, nightly, full


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
    for mart, key in (("funnel_daily", "date"), ("kpi_monthly", "month")):
        assert funnel_by_key(published_rows(nightly, mart), key) == funnel_by_key(published_rows(full, mart), key), mart
