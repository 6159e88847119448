"""The demo company's parameters: its channels and their membranes, where contacts come from, demand
over the year, week and day, its staff, its CRM's statuses, its ad campaigns and other costs.

Arrays indexed by channel follow the order of CHANNELS; arrays indexed by contact type that of
CONTACT_TYPES. Changing a number here changes the generated company (and every seed's output).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# --------------------------------------------------------------------------------------------------
# channels and their membranes
# --------------------------------------------------------------------------------------------------
CHANNELS = ["tv", "brand", "online_ads", "direct_sales", "outdoor", "partners", "aggregators", "unknown"]
CHANNEL_INDEX = {channel: index for index, channel in enumerate(CHANNELS)}
#                                       tv     brand  online direct outdoor partners aggreg unknown
PRIMARY_CONTACT_SHARE = np.array([0.090, 0.160, 0.330, 0.090, 0.060, 0.080, 0.182, 0.008])
FIXATION_RATE = np.array([0.62, 0.80, 0.72, 0.55, 0.60, 0.85, 0.74, 0.50])        # contact -> lead
BOOKING_RATE = np.array([0.42, 0.56, 0.48, 0.36, 0.40, 0.62, 0.46, 0.35])         # lead -> meeting booked
NO_SHOW_RATE = np.array([0.17, 0.08, 0.15, 0.10, 0.16, 0.06, 0.22, 0.20])         # planned -> no-show
CLOSING_RATE = np.array([0.46, 0.62, 0.55, 0.42, 0.45, 0.66, 0.44, 0.40])         # held -> won
MEDIAN_CHECK_RUB = np.array([13_000, 15_500, 13_500, 26_000, 9_500, 38_000, 7_800, 10_000])  # median deal
TV_FLIGHT_MONTHS = (3, 4, 5, 11, 12)


class Touch(NamedTuple):
    """How a contact of a channel arrives: its UTM-like source, medium and campaign."""
    channel: str
    source: str
    medium: str
    campaign: str
    weight: float                            # within its channel
    active_months: tuple[int, ...] | None    # None: all year


TOUCHES: list[Touch] = [Touch(*touch) for touch in (
    ("tv", "tv", "offline", "tv_federal_flight", 0.62, None),
    ("tv", "TV", "Offline", "tv_federal_flight", 0.08, None),
    ("tv", "radio", "offline", "radio_morning_show", 0.30, None),
    ("brand", "direct", "", "", 0.34, None),
    ("brand", "Direct", "(none)", "", 0.08, None),
    ("brand", "yandex", "organic", "", 0.30, None),
    ("brand", "google", "organic", "", 0.12, None),
    ("brand", "brand_site", "widget", "", 0.16, None),
    ("online_ads", "yandex", "cpc", "yd_search_general", 0.26, None),
    ("online_ads", "Yandex", "CPC", "yd_search_general", 0.04, None),
    ("online_ads", "yandex", "cpc", "yd_search_windows", 0.14, (4, 5, 6, 7, 8, 9)),
    ("online_ads", "yandex", "cpc", "yd_rsya_retarget", 0.13, None),
    ("online_ads", "vk", "cpc", "vk_promo_cleaning", 0.14, None),
    ("online_ads", "vk", "social", "vk_lookalike", 0.12, None),
    ("online_ads", "google", "cpc", "g_search_moscow", 0.17, None),
    ("direct_sales", "cold_call", "outbound", "b2b_offices", 0.60, None),
    ("direct_sales", "email", "outreach", "b2b_offer", 0.25, None),
    ("direct_sales", "email_campaign", "newsletter", "seasonal_discount", 0.15, None),
    ("outdoor", "outdoor", "billboard", "metro_lines", 0.50, None),
    ("outdoor", "billboard", "qr", "highway_m11", 0.30, None),
    ("outdoor", "outdoor", "transit", "bus_wrap", 0.20, (3, 4, 5, 6, 7, 8, 9, 10)),
    ("partners", "partner_realty", "referral", "realty_agencies", 0.45, None),
    ("partners", "partner_b2b", "referral", "facility_management", 0.20, None),
    ("partners", "referral", "word_of_mouth", "", 0.35, None),
    ("aggregators", "avito", "marketplace", "", 0.45, None),
    ("aggregators", "Avito", "marketplace", "", 0.05, None),
    ("aggregators", "profi.ru", "marketplace", "", 0.30, None),
    ("aggregators", "2gis", "listing", "", 0.20, None),
    # deliberately unmatched by the shipped rules -> channel `unknown`
    ("unknown", "instagram", "social", "", 0.50, None),
    ("unknown", "telegram", "channel", "", 0.30, None),
    ("unknown", "flyer", "print", "", 0.20, None),
)]
TOUCH_CHANNEL = np.array([CHANNEL_INDEX[touch.channel] for touch in TOUCHES])
TOUCH_INDEX = {(touch.source, touch.medium, touch.campaign): index for index, touch in enumerate(TOUCHES)}
DIRECT_TOUCH = TOUCH_INDEX[("direct", "", "")]
B2B_PARTNER_TOUCH = TOUCH_INDEX[("partner_b2b", "referral", "facility_management")]
# leads entered by hand (walk-ins, manager's own calls): no tracked contact, own source/medium/campaign
HAND_ENTERED_LEAD_TOUCHES = np.array([TOUCH_INDEX[("referral", "word_of_mouth", "")], DIRECT_TOUCH,
                                      TOUCH_INDEX[("partner_realty", "referral", "realty_agencies")],
                                      TOUCH_INDEX[("avito", "marketplace", "")],
                                      TOUCH_INDEX[("outdoor", "billboard", "metro_lines")]])
HAND_ENTERED_LEAD_TOUCH_SHARES = np.array([0.35, 0.25, 0.20, 0.10, 0.10])


def channel_shares(month: int) -> np.ndarray:
    """Each channel's share of the primary contacts in a calendar month (TV flights, outdoor season)."""
    shares = PRIMARY_CONTACT_SHARE.copy()
    shares[CHANNEL_INDEX["tv"]] *= 1.7 if month in TV_FLIGHT_MONTHS else 0.5
    shares[CHANNEL_INDEX["outdoor"]] *= 1.2 if 4 <= month <= 9 else 0.9
    return shares / shares.sum()


def touch_choices(month: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per channel: the indices of its touches and their probabilities in a calendar month."""
    options, probabilities = [], []
    for channel in range(len(CHANNELS)):
        touches = np.flatnonzero(TOUCH_CHANNEL == channel)
        weights = np.array([TOUCHES[i].weight if TOUCHES[i].active_months is None
                            or month in TOUCHES[i].active_months else 0.0 for i in touches])
        options.append(touches)
        probabilities.append(weights / weights.sum())
    return options, probabilities


# --------------------------------------------------------------------------------------------------
# contact types and client keys
# --------------------------------------------------------------------------------------------------
CONTACT_TYPES = ["call", "form", "chat", "email", "walk_in"]
CONTACT_TYPE_SHARES = np.array([
    [0.88, 0.10, 0.02, 0.00, 0.00],  # tv
    [0.50, 0.28, 0.14, 0.04, 0.04],  # brand
    [0.40, 0.42, 0.18, 0.00, 0.00],  # online_ads
    [0.55, 0.05, 0.00, 0.40, 0.00],  # direct_sales
    [0.78, 0.20, 0.02, 0.00, 0.00],  # outdoor
    [0.55, 0.05, 0.05, 0.20, 0.15],  # partners
    [0.35, 0.10, 0.55, 0.00, 0.00],  # aggregators
    [0.40, 0.30, 0.30, 0.00, 0.00],  # unknown
])
# a repeat inquiry of an existing lead: mostly a call
REPEAT_CONTACT_TYPE_SHARES = [0.78, 0.10, 0.12, 0.0, 0.0]
# the kind of a client key: a phone, an e-mail, or none (an anonymous chat)
PHONE_KEY, EMAIL_KEY, NO_KEY = 0, 1, -1
# P(phone), P(e-mail) of the client key by contact type; the rest has no client key
PHONE_KEY_SHARE = np.array([1.00, 0.80, 0.55, 0.00, 0.92])
EMAIL_KEY_SHARE = np.array([0.00, 0.20, 0.25, 1.00, 0.00])
# median minutes from contact to the lead in the CRM, by contact type
MEDIAN_MINUTES_TO_LEAD = np.array([7.0, 45.0, 20.0, 120.0, 4.0])
FIRST_NAMES = ["anna", "ivan", "olga", "sergey", "elena", "dmitry", "maria", "alexey", "natalia", "andrey",
               "irina", "pavel", "tatiana", "mikhail", "svetlana", "nikolay", "ekaterina", "vladimir",
               "yulia", "artem", "oksana", "roman", "daria", "igor", "polina", "kirill", "marina", "oleg",
               "vera", "denis", "sofia", "maxim", "alina", "egor", "ksenia", "anton", "lyudmila", "gleb",
               "valeria", "timur"]
EMAIL_DOMAINS = ["example.com", "example.net", "example.org"]

# --------------------------------------------------------------------------------------------------
# demand over the year, the week and the day
# --------------------------------------------------------------------------------------------------
MONTH_SEASONALITY = np.array([0.70, 0.85, 1.10, 1.30, 1.25, 0.90, 0.80, 0.85, 1.00, 1.05, 1.05, 1.25])
MONTH_SEASONALITY = MONTH_SEASONALITY / MONTH_SEASONALITY.mean()
WEEKDAY_DEMAND = np.array([1.15, 1.10, 1.05, 1.00, 0.95, 0.75, 0.60])   # Monday first
WEEKDAY_DEMAND = WEEKDAY_DEMAND / WEEKDAY_DEMAND.mean()
HOUR_OF_DAY_SHARES = np.array([0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.8, 3.2, 4.2, 4.4,
                               4.0, 3.8, 3.9, 3.8, 3.6, 3.5, 3.3, 3.0, 2.4, 1.8, 1.0, 0.5])
HOUR_OF_DAY_SHARES = HOUR_OF_DAY_SHARES / HOUR_OF_DAY_SHARES.sum()
GROWTH_PER_YEAR = 0.08
CONTACTS_PER_MONTH = 2000

# --------------------------------------------------------------------------------------------------
# shares of the funnel's side roads
# --------------------------------------------------------------------------------------------------
REPEAT_CONTACT_SHARE = 0.09      # contacts that are a repeat inquiry of an existing lead
HAND_ENTERED_LEAD_SHARE = 0.08   # leads with no tracked contact
DEAL_IF_HELD = 0.90              # held meeting -> a deal (quote) is created
LATE_WIN_SHARE = 0.04            # won deals closed about a month later
NO_LEAD_DEAL_SHARE = 0.03        # deals created by managers for returning clients, no lead
NO_LEAD_DEAL_WIN_RATE = 0.85
RETURNING_CLIENT_SHARE = 0.08    # primary contacts from a client already known: a new lead of an old client
RETURNING_BUYER_SHARE = 0.60     # ... of which a past buyer ordering again (the rest: an earlier lead back)
KNOWN_CLIENTS_KEPT = 200_000     # the most recent known clients a returning contact is drawn from
USD_SHARE_OF_B2B = 0.30          # share of facility-management (B2B partner) deals invoiced in USD
USD_RUB_START = 92.0

# --------------------------------------------------------------------------------------------------
# staff
# --------------------------------------------------------------------------------------------------
OPERATORS = 6
OPERATOR_SHARES = np.array([0.22, 0.20, 0.18, 0.16, 0.14, 0.10])
# people differ: an operator's skill scales the booking rate of the leads they fix, a manager's the
# closing rate of the meetings they hold (the membranes by person have something to rank)
OPERATOR_SKILL = np.array([1.10, 1.00, 0.95, 1.05, 0.80, 0.90])
OPERATOR_SKILL = OPERATOR_SKILL / (OPERATOR_SKILL @ OPERATOR_SHARES)   # the company's rates stay as set
MANAGERS = 4
MANAGER_SHARES = np.array([0.30, 0.27, 0.23, 0.20])
MANAGER_SKILL = np.array([1.12, 1.00, 0.85, 0.95])
MANAGER_SKILL = MANAGER_SKILL / (MANAGER_SKILL @ MANAGER_SHARES)

# --------------------------------------------------------------------------------------------------
# the CRM's statuses (a status is written by its index in these lists)
# --------------------------------------------------------------------------------------------------
LEAD_STATUSES = ["new", "meeting_booked", "won", "lost", "junk", "declined"]
LEAD_NEW, LEAD_MEETING_BOOKED, LEAD_WON, LEAD_LOST, LEAD_JUNK, LEAD_DECLINED = range(6)
# the demo CRM's statuses and the canonical stages they mean (config/lead_statuses.csv)
LEAD_STAGES = {"new": "mql", "meeting_booked": "sal", "won": "won", "lost": "lost", "junk": "disqualified",
               "declined": "rejected"}
MEETING_STATUSES = ["planned", "held", "no_show", "cancelled", "rescheduled"]
MEETING_PLANNED, MEETING_HELD, MEETING_NO_SHOW, MEETING_CANCELLED, MEETING_RESCHEDULED = range(5)
DEAL_STATUSES = ["open", "won", "lost"]
DEAL_OPEN, DEAL_WON, DEAL_LOST = range(3)
CURRENCIES = ["RUB", "USD"]

# --------------------------------------------------------------------------------------------------
# ad campaigns and other costs
# --------------------------------------------------------------------------------------------------


class AdCampaign(NamedTuple):
    platform: str
    campaign: str
    source: str
    medium: str
    currency: str
    budget_share: float                      # of the online budget
    cost_per_click_rub: float
    click_through_rate: float
    active_months: tuple[int, ...] | None    # None: all year


AD_CAMPAIGNS: list[AdCampaign] = [AdCampaign(*campaign) for campaign in (
    ("yandex_direct", "yd_search_general", "yandex", "cpc", "RUB", 0.30, 78.0, 0.045, None),
    ("yandex_direct", "yd_search_windows", "yandex", "cpc", "RUB", 0.12, 62.0, 0.050, (4, 5, 6, 7, 8, 9)),
    ("yandex_direct", "yd_rsya_retarget", "yandex", "cpc", "RUB", 0.13, 24.0, 0.006, None),
    ("vk_ads", "vk_promo_cleaning", "vk", "cpc", "RUB", 0.12, 36.0, 0.008, None),
    ("vk_ads", "vk_lookalike", "", "", "RUB", 0.10, 31.0, 0.007, None),  # no UTM: platform is the source
    ("google_ads", "g_search_moscow", "google", "cpc", "USD", 0.13, 95.0, 0.040, None),
)]
ONLINE_BUDGET_RUB = 420_000.0  # per average month at the default volume


class CostItem(NamedTuple):
    channel: str
    cost_type: str
    rub_per_month: int                       # per average month at the default volume
    active_months: tuple[int, ...] | None    # None: all year
    seasonal: bool                           # follows MONTH_SEASONALITY


COST_ITEMS: list[CostItem] = [CostItem(*item) for item in (
    ("tv", "tv_flight", 230_000, TV_FLIGHT_MONTHS, False),
    ("tv", "radio_spots", 70_000, TV_FLIGHT_MONTHS, False),
    ("outdoor", "billboards", 45_000, None, False),
    ("outdoor", "transit_ads", 25_000, (3, 4, 5, 6, 7, 8, 9, 10), False),
    ("partners", "partner_commission", 320_000, None, True),
    ("direct_sales", "call_center", 120_000, None, False),
    ("online_ads", "agency_fee", 65_000, None, False),
    ("brand", "seo_site_support", 55_000, None, False),
    ("aggregators", "profile_subscription", 35_000, None, False),
)]
