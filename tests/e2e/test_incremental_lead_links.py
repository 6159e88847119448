"""Late updates that move contacts between leads, through two nightly runs, against a full rebuild of the
same files: the lead-level models are rebuilt only for the leads a night touches, so each case below is a
lead that a too narrow rebuild would leave stale. Contacts without a lead id link by client key
(config/contact_linking.csv: any call, within 3 days before the lead).

- l4: a call arriving late links to it by client key (it stops being a contactless lead);
- l1: its deal is won a month later;
- l2: a contact recorded on it, earlier than its first one, changes its channel, and its client key
  makes l2 that client's (l2 was a client of its own, which must vanish);
- l3 / l5: a call's client key is corrected, so the call moves from l3 to l5 (l3 is only reached
  through the call's old key);
- l6: its own client key is corrected, so the call linked by the old key is left unlinked."""

import hashlib
from decimal import Decimal

import pytest

from tests.support.marts import assert_same_tables, built_night_by_night_and_in_one, warehouse_rows

CONTACTS = "contact_id,received_at,contact_type,source,medium,campaign,client_key,lead_id,updated_at\n"
LEADS = "lead_id,created_at,client_key,source,medium,campaign,status,operator_id,manager_id,updated_at\n"
MEETINGS = "lead_id,meeting_id,booked_at,scheduled_at,status,manager_id,updated_at\n"
DEALS = "deal_id,lead_id,client_key,created_at,closed_at,status,amount,currency,updated_at\n"

CONTACT_LINKING = "source,contact_type,link_window_days\n,call,3\n"

FIRST_NIGHT = {
    "config/contact_linking.csv": CONTACT_LINKING,
    "landing/contacts/contacts_2026-09-30.csv": CONTACTS
    + "c1,2026-09-01 10:00:00,call,yandex,cpc,autumn,79000000001,,2026-09-01 10:00:00\n"
    + "c3,2026-09-05 12:00:00,form,google,cpc,autumn,,l2,2026-09-05 12:00:00\n"
    + "c5,2026-09-08 09:00:00,call,tv,,,79000000003,,2026-09-08 09:00:00\n"
    + "c8,2026-09-10 09:00:00,call,radio,,,79000000006,,2026-09-10 09:00:00\n",
    "landing/leads/leads_2026-09-30.csv": LEADS
    + "l1,2026-09-01 11:00:00,79000000001,partner,,,new,op1,m1,2026-09-01 11:00:00\n"
    + "l2,2026-09-05 13:00:00,,google,cpc,autumn,new,op1,m1,2026-09-05 13:00:00\n"
    + "l3,2026-09-08 10:00:00,79000000003,tv,,,new,op1,m1,2026-09-08 10:00:00\n"
    + "l4,2026-09-09 10:00:00,79000000004,avito,,,new,op1,m1,2026-09-09 10:00:00\n"
    + "l5,2026-09-08 11:00:00,79000000005,profi,,,new,op1,m1,2026-09-08 11:00:00\n"
    + "l6,2026-09-10 10:00:00,79000000006,radio,,,new,op1,m1,2026-09-10 10:00:00\n",
    "landing/meetings/meetings_2026-09-30.csv": MEETINGS
    + "l1,m1,2026-09-02 09:00:00,2026-09-04 10:00:00,held,m1,2026-09-04 12:00:00\n",
    "landing/deals/deals_2026-09-30.csv": DEALS
    + "d1,l1,,2026-09-03 10:00:00,,open,50000,RUB,2026-09-03 10:00:00\n"
    + "d2,l5,,2026-09-08 12:00:00,2026-09-20 10:00:00,won,30000,RUB,2026-09-20 10:00:00\n",
}
SECOND_NIGHT = {
    "landing/contacts/contacts_2026-10-31.csv": CONTACTS
    + "c6,2026-09-08 12:00:00,call,vk,cpc,,79000000004,,2026-10-01 09:00:00\n"
    + "c7,2026-09-04 08:00:00,form,outdoor,,,79000000008,l2,2026-10-01 09:00:00\n"
    + "c5,2026-09-08 09:00:00,call,tv,,,79000000005,,2026-10-02 09:00:00\n",
    "landing/leads/leads_2026-10-31.csv": LEADS
    + "l6,2026-09-10 10:00:00,79000000007,radio,,,new,op1,m1,2026-10-02 10:00:00\n",
    "landing/deals/deals_2026-10-31.csv": DEALS
    + "d1,l1,,2026-09-03 10:00:00,2026-10-03 15:00:00,won,50000,RUB,2026-10-03 15:00:00\n",
}

# (channel, is_contactless, linked contacts, won deals) by the default channel rules: yandex/google/vk are
# online_ads, tv/radio tv, outdoor outdoor, avito/profi aggregators, partner partners.
LEADS_AFTER_FIRST_NIGHT = {
    "l1": ("online_ads", False, 1, 0), "l2": ("online_ads", False, 1, 0), "l3": ("tv", False, 1, 0),
    "l4": ("aggregators", True, 0, 0), "l5": ("aggregators", True, 0, 1), "l6": ("tv", False, 1, 0),
}
LEADS_AFTER_SECOND_NIGHT = {
    "l1": ("online_ads", False, 1, 1), "l2": ("outdoor", False, 2, 0), "l3": ("tv", True, 0, 0),
    "l4": ("online_ads", False, 1, 0), "l5": ("tv", False, 1, 1), "l6": ("tv", True, 0, 0),
}
CONTACT_LINKS_AFTER_SECOND_NIGHT = {
    "c1": "l1", "c3": "l2", "c5": "l5", "c6": "l4", "c7": "l2", "c8": None,
}
# The models a night rebuilds only for the leads it touched, and the one that depends on them.
LEAD_LEVEL_MODELS = (
    "int_contacts_linked_to_leads", "int_leads_joined_to_channels", "int_leads_joined_to_clients",
    "int_client_touches", "int_won_deals_joined_to_clients",
)


def lead_summary(data_dir) -> dict:
    return {
        lead_id: (channel, is_contactless, linked, won)
        for lead_id, channel, is_contactless, linked, won in warehouse_rows(
            data_dir, "select lead_id, channel, is_contactless, linked_contact_count, deals_won_count "
            "from intermediate.int_leads_joined_to_channels"
        )
    }


def client_touches(data_dir) -> dict:
    return dict(warehouse_rows(data_dir, "select client_id, touches from marts.clients"))


def hashed_client_key(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()


@pytest.fixture(scope="module")
def nightly_and_full(tmp_path_factory):
    seen, nightly, full = built_night_by_night_and_in_one(
        tmp_path_factory, [FIRST_NIGHT, SECOND_NIGHT],
        after_each_night=lambda data_dir: {"leads": lead_summary(data_dir), "clients": client_touches(data_dir)},
    )
    return seen[0], nightly, full


def test_the_first_night_links_what_it_knows(nightly_and_full):
    after_first_night, _, _ = nightly_and_full
    assert after_first_night["leads"] == LEADS_AFTER_FIRST_NIGHT
    assert after_first_night["clients"]["lead:l2"] == 1, "c3, recorded on l2, and l2 carry no client key"


def test_the_second_night_moves_each_lead_as_worked_out_by_hand(nightly_and_full):
    _, nightly, _ = nightly_and_full
    assert lead_summary(nightly) == LEADS_AFTER_SECOND_NIGHT
    links = dict(warehouse_rows(nightly, "select contact_id, lead_id from intermediate.int_contacts_linked_to_leads"))
    assert links == CONTACT_LINKS_AFTER_SECOND_NIGHT


def test_the_second_night_credits_the_moved_lead_s_deal_to_its_new_channel(nightly_and_full):
    _, nightly, _ = nightly_and_full
    september = warehouse_rows(
        nightly, "select channel, deals_won, revenue from marts.attribution where month = date '2026-09-01'"
    )
    assert [(channel, won, Decimal(str(revenue))) for channel, won, revenue in september] == [
        ("tv", 1, Decimal(30000))
    ], "l5's deal follows l5 from aggregators to tv"


def test_the_second_night_gives_l2_the_client_of_its_new_contact_s_key(nightly_and_full):
    _, nightly, _ = nightly_and_full
    clients = client_touches(nightly)
    assert "lead:l2" not in clients
    assert clients[hashed_client_key("+79000000008")] == 2, "c3 and c7, both recorded on l2"


@pytest.mark.parametrize("model", LEAD_LEVEL_MODELS)
def test_night_by_night_lead_level_models_equal_a_full_rebuild(nightly_and_full, model):
    _, nightly, full = nightly_and_full
    assert_same_tables(nightly, full, "intermediate", [model])


def test_night_by_night_marts_equal_a_full_rebuild(nightly_and_full):
    _, nightly, full = nightly_and_full
    marts = assert_same_tables(nightly, full, "marts")
    assert {"clients", "attribution", "stage_velocity"} <= set(marts)
