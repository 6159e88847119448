"""One cohort of the demo company: everything that starts in one calendar month, simulated record by
record with numpy, through the funnel's membranes:

    contact --(fixation)--> lead --(booking)--> meeting --(held / no-show / cancelled / rescheduled)-->
    deal (open) --> won / lost

Each step below returns its records and the versions (states over time) to export. The steps draw
from one random generator per cohort, in a fixed order: reordering a draw changes every file.
Nothing happens after the history's last moment (its end date, 23:59:59): a record or a state change
that would falls out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from orchestration.demo import parameters as company
from orchestration.demo.dates import DAY, HOUR, seconds_at
from orchestration.demo.draws import choice_by_group, in_office_hours, lognormal, uniform
from orchestration.demo.versions import stack_versions

# a repeat contact comes at least this long after its lead was created, so only a lead created at
# least REPEAT_ROOM_SECONDS before the history's end can have one
REPEAT_AFTER_LEAD_SECONDS = 60
REPEAT_ROOM_SECONDS = 120


@dataclass
class Clients:
    """Clients by number, with the kind of their key (parameters.PHONE_KEY or EMAIL_KEY)."""
    numbers: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    key_kinds: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.numbers)

    def with_recent(self, numbers: np.ndarray, key_kinds: np.ndarray) -> Clients:
        """These clients and the new ones, keeping only the most recent (bounded memory)."""
        return Clients(np.concatenate([self.numbers, numbers])[-company.KNOWN_CLIENTS_KEPT:],
                       np.concatenate([self.key_kinds, key_kinds])[-company.KNOWN_CLIENTS_KEPT:])


class CompanyHistory:
    """What the cohorts share: the seed, the history's last moment, the next free number of each kind
    of record, the clients known so far and how many records were made."""

    def __init__(self, seed: int, last_moment: int):
        self.seed = seed
        self.last_moment = last_moment
        self.next_number = {"contact": 1, "lead": 1, "meeting": 1, "deal": 1, "client": 1}
        self.last_cohort_buyers = Clients()    # they call their manager directly: deals with no lead
        self.buyers = Clients()                # every recent buyer, who may come back to buy again
        self.prospects = Clients()             # every recent lead's client, who may come back
        self.records = {"contacts": 0, "leads": 0, "meetings": 0, "deals": 0}

    def take(self, kind: str, count: int) -> np.ndarray:
        """The next `count` numbers of a kind of record."""
        first = self.next_number[kind]
        self.next_number[kind] = first + count
        return np.arange(first, first + count, dtype=np.int64)


@dataclass
class CohortMonth:
    index: int                # months since the history's start
    first_day: date
    last_day: date
    contacts_per_day: np.ndarray

    @property
    def month(self) -> int:
        return self.first_day.month

    @property
    def start(self) -> int:
        return seconds_at(self.first_day)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    @property
    def contacts(self) -> int:
        return int(self.contacts_per_day.sum())

    @property
    def day_shares(self) -> np.ndarray:
        """The share of the month's contacts on each day: days of hand-entered leads and no-lead deals."""
        if self.contacts:
            return self.contacts_per_day / self.contacts
        return np.full(self.days, 1.0 / self.days)

    def random_moments(self, rng: np.random.Generator, count: int, first_hour: int,
                       last_hour: int) -> np.ndarray:
        """`count` moments on the month's days (as busy as its contacts), between the office hours."""
        return (self.start + rng.choice(self.days, size=count, p=self.day_shares) * DAY
                + rng.integers(first_hour * HOUR, last_hour * HOUR, size=count))


@dataclass
class PrimaryContacts:
    """A client's first contact: the channel and touch it came through, when, and whether it was fixed
    as a lead (and when the lead was created)."""
    channel: np.ndarray
    touch: np.ndarray
    contact_type: np.ndarray
    received: np.ndarray
    client: np.ndarray
    key_kind: np.ndarray
    fixed: np.ndarray
    lead_created: np.ndarray


@dataclass
class Leads:
    """The month's leads in order of creation; `source_contact` is the position of the primary contact
    a lead was fixed from, -1 for a lead entered by hand."""
    source_contact: np.ndarray
    created: np.ndarray
    touch: np.ndarray
    channel: np.ndarray
    client: np.ndarray
    key_kind: np.ndarray
    id: np.ndarray
    operator: np.ndarray
    manager: np.ndarray

    @property
    def from_contact(self) -> np.ndarray:
        return self.source_contact >= 0

    def __len__(self) -> int:
        return len(self.created)


@dataclass
class MeetingOutcomes:
    """Per lead: whether a first meeting was booked and when, and the outcome of its final meeting
    (-1: none; planned when not decided yet) with when it was decided."""
    booked: np.ndarray
    booked_at: np.ndarray
    final_outcome: np.ndarray
    final_change: np.ndarray
    versions: dict
    count: int


@dataclass
class DealOutcomes:
    """The month's deals: those after a held meeting first (positions < from_leads), then those with
    no lead; `closed` are the positions of the deals closed by the history's end."""
    lead_position: np.ndarray       # the lead of each deal after a meeting
    held_without_deal: np.ndarray   # leads whose held meeting made no deal
    from_leads: int
    closed: np.ndarray
    closed_at: np.ndarray
    won: np.ndarray
    buyers: Clients                 # the clients of the deals won by the history's end
    versions: dict
    count: int


def simulate_cohort(history: CompanyHistory, cohort: CohortMonth) -> dict[str, dict]:
    """The versions of every contact, lead, meeting and deal that starts in the cohort's month."""
    rng = np.random.default_rng([history.seed, 1, cohort.index])
    primaries, repeats = draw_primary_contacts(history, rng, cohort)
    # a generator of its own (seeded as the month's ad spend is, money_series.py: keep both as they are)
    return_known_clients(history, np.random.default_rng([history.seed, 3, cohort.index]), primaries)
    leads = fix_leads(history, rng, cohort, primaries)
    contacts = contact_versions(history, rng, primaries, repeats, leads)
    meetings = book_meetings(history, rng, leads)
    deals = make_deals(history, rng, cohort, leads, meetings)
    remember_clients(history, leads, deals)
    lead_versions = lead_status_history(history, rng, leads, meetings, deals)
    history.records["contacts"] += cohort.contacts
    history.records["leads"] += len(leads)
    history.records["meetings"] += meetings.count
    history.records["deals"] += deals.count
    return {"contacts": contacts, "leads": lead_versions, "meetings": meetings.versions,
            "deals": deals.versions}


# --------------------------------------------------------------------------------------------------
# contacts and leads
# --------------------------------------------------------------------------------------------------


def draw_primary_contacts(history: CompanyHistory, rng: np.random.Generator,
                          cohort: CohortMonth) -> tuple[PrimaryContacts, int]:
    """The month's primary contacts and how many more contacts are repeat inquiries of a lead."""
    contacts = cohort.contacts
    day_of_contact = np.repeat(np.arange(cohort.days, dtype=np.int64), cohort.contacts_per_day)
    repeats = int(rng.binomial(contacts, company.REPEAT_CONTACT_SHARE)) if contacts else 0
    shuffled = rng.permutation(contacts)
    primary_days = cohort.start + day_of_contact[shuffled[: contacts - repeats]] * DAY
    primaries = primary_contacts(history, rng, primary_days, cohort.month)
    if repeats and not np.any(primaries.fixed
                              & (primaries.lead_created <= history.last_moment - REPEAT_ROOM_SECONDS)):
        # nothing to repeat (tiny volumes): every contact is a primary one
        repeats = 0
        primary_days = cohort.start + day_of_contact[shuffled] * DAY
        primaries = primary_contacts(history, rng, primary_days, cohort.month)
    return primaries, repeats


def primary_contacts(history: CompanyHistory, rng: np.random.Generator, days: np.ndarray,
                     month: int) -> PrimaryContacts:
    """One primary contact on each of `days` (the moment its day starts)."""
    count = len(days)
    channel = rng.choice(len(company.CHANNELS), size=count, p=company.channel_shares(month))
    touch_options, touch_probabilities = company.touch_choices(month)
    touch = choice_by_group(rng, channel, len(company.CHANNELS), touch_options, touch_probabilities)
    contact_type = choice_by_group(rng, channel, len(company.CHANNELS),
                                   [np.arange(len(company.CONTACT_TYPES))] * len(company.CHANNELS),
                                   company.CONTACT_TYPE_SHARES)
    received = (days + rng.choice(24, size=count, p=company.HOUR_OF_DAY_SHARES) * HOUR
                + rng.integers(0, HOUR, size=count))
    key_draw = rng.random(count)
    phone_share = company.PHONE_KEY_SHARE[contact_type]
    key_kind = np.where(key_draw < phone_share, company.PHONE_KEY,
                        np.where(key_draw < phone_share + company.EMAIL_KEY_SHARE[contact_type],
                                 company.EMAIL_KEY, company.NO_KEY))
    client = history.take("client", count)
    fixed = rng.random(count) < company.FIXATION_RATE[channel]
    delay = np.clip(lognormal(rng, company.MEDIAN_MINUTES_TO_LEAD[contact_type] * 60.0, 0.9, count),
                    60, 12 * HOUR).astype(np.int64)
    return PrimaryContacts(channel=channel, touch=touch, contact_type=contact_type, received=received,
                           client=client, key_kind=key_kind, fixed=fixed, lead_created=received + delay)


def return_known_clients(history: CompanyHistory, rng: np.random.Generator,
                         primaries: PrimaryContacts) -> None:
    """Give a share of the month's primary contacts the key of a client seen in an earlier month, so that
    clients buy again and come back through other channels (own random stream: the rest stays as it was)."""
    returning = np.flatnonzero(rng.random(len(primaries.client)) < company.RETURNING_CLIENT_SHARE)
    from_buyers = rng.random(len(returning)) < company.RETURNING_BUYER_SHARE
    for known, chosen in ((history.buyers, returning[from_buyers]),
                          (history.prospects, returning[~from_buyers])):
        if len(known) and len(chosen):
            pick = rng.integers(0, len(known), size=len(chosen))
            primaries.client[chosen], primaries.key_kind[chosen] = known.numbers[pick], known.key_kinds[pick]


def fix_leads(history: CompanyHistory, rng: np.random.Generator, cohort: CohortMonth,
              primaries: PrimaryContacts) -> Leads:
    """The leads fixed from primary contacts and those entered by hand, numbered in order of creation."""
    last_moment = history.last_moment
    fixed_contacts = np.flatnonzero(primaries.fixed & (primaries.lead_created <= last_moment))
    hand_entered = (int(rng.binomial(len(fixed_contacts),
                                     company.HAND_ENTERED_LEAD_SHARE / (1 - company.HAND_ENTERED_LEAD_SHARE)))
                    if len(fixed_contacts) else 0)
    hand_touch = rng.choice(company.HAND_ENTERED_LEAD_TOUCHES, size=hand_entered,
                            p=company.HAND_ENTERED_LEAD_TOUCH_SHARES)
    hand_created = cohort.random_moments(rng, hand_entered, 9, 20)
    in_history = hand_created <= last_moment
    hand_touch, hand_created = hand_touch[in_history], hand_created[in_history]
    hand_entered = len(hand_created)

    source_contact = np.concatenate([fixed_contacts, np.full(hand_entered, -1)])
    created = np.concatenate([primaries.lead_created[fixed_contacts], hand_created])
    touch = np.concatenate([primaries.touch[fixed_contacts], hand_touch])
    channel = company.TOUCH_CHANNEL[touch]
    client = np.concatenate([primaries.client[fixed_contacts], np.zeros(hand_entered, dtype=np.int64)])
    key_kind = np.concatenate([primaries.key_kind[fixed_contacts], np.full(hand_entered, company.NO_KEY)])
    no_key = key_kind < 0                  # the operator always asks for a phone
    client[no_key] = history.take("client", int(no_key.sum()))
    key_kind[no_key] = company.PHONE_KEY
    order = np.argsort(created, kind="stable")
    source_contact, created, touch, channel, client, key_kind = (
        column[order] for column in (source_contact, created, touch, channel, client, key_kind))
    count = len(created)
    return Leads(source_contact=source_contact, created=created, touch=touch, channel=channel, client=client,
                 key_kind=key_kind, id=history.take("lead", count),
                 operator=rng.choice(company.OPERATORS, size=count, p=company.OPERATOR_SHARES),
                 manager=rng.choice(company.MANAGERS, size=count, p=company.MANAGER_SHARES))


def contact_versions(history: CompanyHistory, rng: np.random.Generator, primaries: PrimaryContacts,
                     repeats: int, leads: Leads) -> dict:
    """Every contact (the primary ones and the repeat inquiries of a lead), numbered in order of arrival:
    as it arrived, and for a primary contact fixed as a lead, linked to its lead when the lead was made."""
    last_moment = history.last_moment
    if repeats:
        eligible = np.flatnonzero(leads.from_contact & (leads.created <= last_moment - REPEAT_ROOM_SECONDS))
        lead = rng.choice(eligible, size=repeats)
        # within days of the lead, never after the end
        room = np.minimum(5 * DAY, last_moment - leads.created[lead] - REPEAT_AFTER_LEAD_SECONDS)
        repeat_received = (leads.created[lead] + REPEAT_AFTER_LEAD_SECONDS
                           + (rng.random(repeats) ** 2 * room).astype(np.int64))
        repeat_touch = np.where(rng.random(repeats) < 0.55, leads.touch[lead], company.DIRECT_TOUCH)
        repeat_type = rng.choice(5, size=repeats, p=company.REPEAT_CONTACT_TYPE_SHARES)
        repeat_updated = np.minimum(repeat_received + rng.integers(20, 600, size=repeats), last_moment)
        repeat_client, repeat_key_kind, repeat_lead = leads.client[lead], leads.key_kind[lead], leads.id[lead]
    else:
        repeat_received = repeat_touch = repeat_type = repeat_updated = np.zeros(0, dtype=np.int64)
        repeat_client = repeat_key_kind = repeat_lead = np.zeros(0, dtype=np.int64)
    primary_count = len(primaries.received)
    received = np.concatenate([primaries.received, repeat_received])
    contact_id = np.empty(len(received), dtype=np.int64)
    contact_id[np.argsort(received, kind="stable")] = history.take("contact", len(received))

    lead_of_primary = np.full(primary_count, -1, dtype=np.int64)
    lead_of_primary[leads.source_contact[leads.from_contact]] = leads.id[leads.from_contact]
    linked_at = np.zeros(primary_count, dtype=np.int64)
    linked_at[leads.source_contact[leads.from_contact]] = leads.created[leads.from_contact]
    linked = np.flatnonzero(lead_of_primary >= 0)          # primaries that got linked to their lead

    def arrived_then_linked(first_state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return first_state, first_state[linked]

    return stack_versions({
        "id": arrived_then_linked(contact_id),
        "received": arrived_then_linked(received),
        "contact_type": arrived_then_linked(np.concatenate([primaries.contact_type, repeat_type])),
        "touch": arrived_then_linked(np.concatenate([primaries.touch, repeat_touch])),
        "client": arrived_then_linked(np.concatenate([primaries.client, repeat_client])),
        "key_kind": arrived_then_linked(np.concatenate([primaries.key_kind, repeat_key_kind])),
        "lead": (np.concatenate([np.full(primary_count, -1), repeat_lead]), lead_of_primary[linked]),
        "updated": (np.concatenate([primaries.received, repeat_updated]), linked_at[linked]),
    })


# --------------------------------------------------------------------------------------------------
# meetings
# --------------------------------------------------------------------------------------------------


def book_meetings(history: CompanyHistory, rng: np.random.Generator, leads: Leads) -> MeetingOutcomes:
    """A first meeting for the leads that book one and a second one for those rescheduled, each planned
    when booked and then held, missed, cancelled or rescheduled; numbered in order of booking."""
    last_moment = history.last_moment
    count = len(leads)
    booked = rng.random(count) < company.BOOKING_RATE[leads.channel] * company.OPERATOR_SKILL[leads.operator]
    booked_at = leads.created + np.clip(lognormal(rng, 40 * 60, 1.3, count), 120, 3 * DAY).astype(np.int64)
    first = np.flatnonzero(booked & (booked_at <= last_moment))      # leads with a first meeting
    first_scheduled, first_outcome, first_change = meeting_round(rng, leads.channel[first], booked_at[first],
                                                                 first=True)
    again = np.flatnonzero((first_outcome == company.MEETING_RESCHEDULED) & (first_change <= last_moment))
    second_booked_at = first_change[again] + rng.integers(60, 900, size=len(again))
    in_history = second_booked_at <= last_moment
    again, second_booked_at = again[in_history], second_booked_at[in_history]
    second_scheduled, second_outcome, second_change = meeting_round(rng, leads.channel[first[again]],
                                                                    second_booked_at, first=False)

    lead = np.concatenate([first, first[again]])
    meeting_booked = np.concatenate([booked_at[first], second_booked_at])
    outcome = np.concatenate([first_outcome, second_outcome])
    change = np.concatenate([first_change, second_change])
    meeting_id = np.empty(len(lead), dtype=np.int64)
    meeting_id[np.argsort(meeting_booked, kind="stable")] = history.take("meeting", len(lead))
    scheduled = np.concatenate([first_scheduled, second_scheduled])
    decided = np.flatnonzero(change <= last_moment)
    meetings = len(lead)
    versions = stack_versions({
        "lead": (leads.id[lead], leads.id[lead[decided]]),
        "id": (meeting_id, meeting_id[decided]),
        "booked": (meeting_booked, meeting_booked[decided]),
        "scheduled": (scheduled, scheduled[decided]),
        "status": (np.full(meetings, company.MEETING_PLANNED), outcome[decided]),
        "manager": (leads.manager[lead], leads.manager[lead[decided]]),
        "updated": (meeting_booked, change[decided]),
    })

    # the final meeting of each lead with a meeting: the second one if it was rescheduled and re-booked
    final_outcome = np.full(count, -1)
    final_change = np.zeros(count, dtype=np.int64)
    final_outcome[first] = np.where(first_change <= last_moment, first_outcome, company.MEETING_PLANNED)
    final_change[first] = first_change
    final_outcome[first[again]] = np.where(second_change <= last_moment, second_outcome,
                                           company.MEETING_PLANNED)
    final_change[first[again]] = second_change
    return MeetingOutcomes(booked=booked, booked_at=booked_at, final_outcome=final_outcome,
                           final_change=final_change, versions=versions, count=meetings)


def meeting_round(rng: np.random.Generator, channel: np.ndarray, booked_at: np.ndarray, *,
                  first: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """When each booked meeting is scheduled, its outcome, and when the outcome is known: a cancelled or
    rescheduled meeting before it was due, a held or missed one a few hours after it."""
    count = len(booked_at)
    scheduled = ((booked_at // DAY + rng.integers(1, 8, size=count)) * DAY
                 + rng.integers(9, 19, size=count) * HOUR + rng.integers(0, 2, size=count) * 1800)
    draw = rng.random(count)
    no_show = rng.random(count) < company.NO_SHOW_RATE[channel]
    if first:
        outcome = np.where(draw < 0.06, company.MEETING_CANCELLED,
                           np.where(draw < 0.14, company.MEETING_RESCHEDULED,
                                    np.where(no_show, company.MEETING_NO_SHOW, company.MEETING_HELD)))
    else:
        outcome = np.where(draw < 0.05, company.MEETING_CANCELLED,
                           np.where(no_show, company.MEETING_NO_SHOW, company.MEETING_HELD))
    before_due = (outcome == company.MEETING_CANCELLED) | (outcome == company.MEETING_RESCHEDULED)
    change = np.where(before_due,
                      booked_at + ((scheduled - booked_at) * uniform(rng, 0.15, 0.9, count)).astype(np.int64),
                      scheduled + uniform(rng, 1.5 * HOUR, 4 * HOUR, count).astype(np.int64))
    return scheduled, outcome, change


# --------------------------------------------------------------------------------------------------
# deals
# --------------------------------------------------------------------------------------------------


@dataclass
class DealDraft:
    """Deals before they are numbered: who, when created, how long until closed, won or not, the quoted
    and the final amount (in the deal's currency: 1 = USD)."""
    lead: np.ndarray
    client: np.ndarray
    key_kind: np.ndarray
    created: np.ndarray
    duration: np.ndarray
    won: np.ndarray
    quote: np.ndarray
    final: np.ndarray
    currency: np.ndarray


def make_deals(history: CompanyHistory, rng: np.random.Generator, cohort: CohortMonth, leads: Leads,
               meetings: MeetingOutcomes) -> DealOutcomes:
    """Deals after held meetings and deals with no lead, closed in office hours, numbered in order of
    creation: open when created, then won or lost."""
    last_moment = history.last_moment
    held = np.flatnonzero(meetings.final_outcome == company.MEETING_HELD)
    has_deal = rng.random(len(held)) < company.DEAL_IF_HELD
    created = meetings.final_change[held] + rng.integers(300, 5400, size=len(held))
    lead_position = held[has_deal & (created <= last_moment)]
    after_meetings = deals_after_meetings(rng, leads, lead_position,
                                          created[has_deal & (created <= last_moment)])
    without_lead = deals_without_lead(history, rng, cohort, len(lead_position))

    def both(column: str) -> np.ndarray:
        return np.concatenate([getattr(after_meetings, column), getattr(without_lead, column)])

    created = both("created")
    closed_at = in_office_hours(rng, created + both("duration"), created + 1800)
    won = both("won")
    count = len(created)
    deal_id = np.empty(count, dtype=np.int64)
    deal_id[np.argsort(created, kind="stable")] = history.take("deal", count)
    closed = np.flatnonzero(closed_at <= last_moment)
    lead, client, key_kind, currency = both("lead"), both("client"), both("key_kind"), both("currency")
    quote, final = (both("quote") * 100).astype(np.int64), (both("final") * 100).astype(np.int64)
    versions = stack_versions({
        "id": (deal_id, deal_id[closed]),
        "lead": (lead, lead[closed]),
        "client": (client, client[closed]),
        "key_kind": (key_kind, key_kind[closed]),
        "created": (created, created[closed]),
        "closed": (np.full(count, -1), closed_at[closed]),
        "status": (np.full(count, company.DEAL_OPEN, dtype=np.int64),
                   np.where(won[closed], company.DEAL_WON, company.DEAL_LOST)),
        "amount": (quote, final[closed]),
        "currency": (currency, currency[closed]),
        "updated": (created, closed_at[closed]),
    })
    won_by_end = closed[won[closed]]
    return DealOutcomes(lead_position=lead_position, held_without_deal=held[~has_deal],
                        from_leads=len(lead_position), closed=closed, closed_at=closed_at, won=won,
                        buyers=Clients(client[won_by_end], key_kind[won_by_end]), versions=versions,
                        count=count)


def deals_after_meetings(rng: np.random.Generator, leads: Leads, lead_position: np.ndarray,
                         created: np.ndarray) -> DealDraft:
    """A deal (a quote) after a held meeting: won by the channel's closing rate and the manager's skill,
    a few of them a month later; a share of B2B-partner deals invoiced in USD."""
    count = len(lead_position)
    channel = leads.channel[lead_position]
    manager_skill = company.MANAGER_SKILL[leads.manager[lead_position]]
    win_rate = np.minimum(0.95, company.CLOSING_RATE[channel] * manager_skill / company.DEAL_IF_HELD)
    won = rng.random(count) < win_rate
    late = rng.random(count) < company.LATE_WIN_SHARE
    duration = np.where(won, np.where(late, uniform(rng, 25 * DAY, 40 * DAY, count),
                                      np.clip(lognormal(rng, 2.5 * DAY, 0.7, count), 0.3 * DAY, 12 * DAY)),
                        uniform(rng, 1 * DAY, 14 * DAY, count)).astype(np.int64)
    quote = np.maximum(np.round(lognormal(rng, company.MEDIAN_CHECK_RUB[channel], 0.45, count), -2), 3000)
    final = np.where(won, np.round(quote * uniform(rng, 0.92, 1.12, count), -2), quote)
    in_usd = ((leads.touch[lead_position] == company.B2B_PARTNER_TOUCH)
              & (rng.random(count) < company.USD_SHARE_OF_B2B))
    quote = np.where(in_usd, np.round(quote / company.USD_RUB_START, -1), quote)
    final = np.where(in_usd, np.round(final / company.USD_RUB_START, -1), final)
    return DealDraft(lead=leads.id[lead_position], client=leads.client[lead_position],
                     key_kind=leads.key_kind[lead_position], created=created, duration=duration, won=won,
                     quote=quote, final=final, currency=in_usd.astype(np.int64))


def deals_without_lead(history: CompanyHistory, rng: np.random.Generator, cohort: CohortMonth,
                       deals_after_meetings: int) -> DealDraft:
    """Returning clients who call their manager directly: deals with no lead, for last month's buyers."""
    count = int(rng.binomial(deals_after_meetings, company.NO_LEAD_DEAL_SHARE)) if deals_after_meetings else 0
    created = cohort.random_moments(rng, count, 9, 19)
    created = created[created <= history.last_moment]
    count = len(created)
    buyers = history.last_cohort_buyers
    if len(buyers):
        pick = rng.integers(0, len(buyers), size=count)
        client, key_kind = buyers.numbers[pick], buyers.key_kinds[pick]
    else:
        client, key_kind = history.take("client", count), np.zeros(count, dtype=np.int64)
    won = rng.random(count) < company.NO_LEAD_DEAL_WIN_RATE
    duration = np.clip(lognormal(rng, 2 * DAY, 0.6, count), 0.3 * DAY, 10 * DAY).astype(np.int64)
    quote = np.maximum(np.round(lognormal(rng, 8_500, 0.35, count), -2), 3000)
    return DealDraft(lead=np.full(count, -1), client=client, key_kind=key_kind, created=created,
                     duration=duration, won=won, quote=quote, final=quote,
                     currency=np.zeros(count, dtype=np.int64))


def remember_clients(history: CompanyHistory, leads: Leads, deals: DealOutcomes) -> None:
    """The month's buyers and leads' clients join the known clients a later contact may come back as; the
    month's buyers are those the next month's deals with no lead are for."""
    history.last_cohort_buyers = deals.buyers
    history.buyers = history.buyers.with_recent(deals.buyers.numbers, deals.buyers.key_kinds)
    history.prospects = history.prospects.with_recent(leads.client, leads.key_kind)


# --------------------------------------------------------------------------------------------------
# lead statuses
# --------------------------------------------------------------------------------------------------


def lead_status_history(history: CompanyHistory, rng: np.random.Generator, leads: Leads,
                        meetings: MeetingOutcomes, deals: DealOutcomes) -> dict:
    """Every lead new when created; then meeting booked, or given up (junk, or declined by sales) when
    no meeting was ever booked; then won or lost by its meeting and deal."""
    last_moment = history.last_moment
    count = len(leads)
    given_up = in_office_hours(rng, leads.created + uniform(rng, HOUR, 3 * DAY, count).astype(np.int64),
                               leads.created + 600)
    second_at = np.where(meetings.booked, meetings.booked_at, given_up)
    second_status = np.where(meetings.booked, company.LEAD_MEETING_BOOKED,
                             np.where(rng.random(count) < 0.3, company.LEAD_JUNK, company.LEAD_DECLINED))

    # the outcome of a booked lead
    third_at = np.full(count, last_moment + 1)
    third_status = np.full(count, company.LEAD_LOST)
    missed = np.flatnonzero((meetings.final_outcome == company.MEETING_CANCELLED)
                            | (meetings.final_outcome == company.MEETING_NO_SHOW))
    third_at[missed] = meetings.final_change[missed] + rng.integers(60, 3 * HOUR, size=len(missed))
    no_deal = deals.held_without_deal
    third_at[no_deal] = meetings.final_change[no_deal] + rng.integers(HOUR, DAY, size=len(no_deal))
    closed_lead_deals = deals.closed[deals.closed < deals.from_leads]
    closed_deal_lead = deals.lead_position[closed_lead_deals]      # leads whose deal is closed
    third_at[closed_deal_lead] = deals.closed_at[closed_lead_deals] + 60
    third_status[closed_deal_lead] = np.where(deals.won[closed_lead_deals], company.LEAD_WON,
                                              company.LEAD_LOST)

    second = np.flatnonzero(second_at <= last_moment)
    third = np.flatnonzero(third_at <= last_moment)

    def three_states(column: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return column, column[second], column[third]

    return stack_versions({
        "id": three_states(leads.id),
        "created": three_states(leads.created),
        "client": three_states(leads.client),
        "key_kind": three_states(leads.key_kind),
        "touch": three_states(leads.touch),
        "status": (np.full(count, company.LEAD_NEW, dtype=np.int64), second_status[second],
                   third_status[third]),
        "operator": three_states(leads.operator),
        "manager": (np.full(count, -1), np.where(meetings.booked[second], leads.manager[second], -1),
                    leads.manager[third]),
        "updated": (leads.created, second_at[second], third_at[third]),
    })
