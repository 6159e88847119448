"""Deterministic generator of a realistic demo company in membrana's canonical raw format.

The company is a cleaning service in a large Russian city (about 10 crews, base currency RUB) that buys
contacts through the seven shipped channels (TV/radio, brand, online ads, direct sales, outdoor, partners,
aggregators).  Every stage of the funnel is simulated record by record, fully vectorised with numpy:

    contact --(fixation)--> lead --(booking)--> meeting --(held / no-show / cancelled / rescheduled)-->
    deal (open) --> won / lost

Each channel has its own membranes (fixation, booking, no-show and closing rates) and average check;
demand is seasonal (spring and pre-New-Year peaks, January and summer dips) with a weekday and an
hour-of-day pattern.  CRM entities are written as overlapping weekly exports (every record created or
updated in the 14 days before the export, in its state at the export), exactly as a CRM export job
would produce them; ad spend, costs and FX rates are monthly, non-overlapping files.

Scaling: the history is generated one calendar month ("cohort": everything that starts in that month)
at a time; only the versions still needed by a later export are kept in memory, and files are written
by DuckDB ``COPY`` from Arrow tables.  10 million contacts take a few minutes with bounded memory.

Public API: :func:`generate_company`.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from orchestration.quality.settings import write_demo_quality_config

__all__ = ["CANONICAL_COLUMNS", "CHANNELS", "TOUCHES", "generate_company"]

DEFAULTS_DIR = Path(__file__).resolve().parent.parent / "defaults" / "config"
DAY = 86_400
HOUR = 3_600
EPOCH = date(1970, 1, 1)

# --------------------------------------------------------------------------------------------------
# Canonical raw format (CONTRACT.md)
# --------------------------------------------------------------------------------------------------
CANONICAL_COLUMNS: dict[str, list[str]] = {
    "contacts": ["contact_id", "received_at", "contact_type", "source", "medium", "campaign", "client_key",
                 "lead_id", "updated_at"],
    "leads": ["lead_id", "created_at", "client_key", "source", "medium", "campaign", "status", "operator_id",
              "manager_id", "updated_at"],
    "meetings": ["lead_id", "meeting_id", "booked_at", "scheduled_at", "status", "manager_id", "updated_at"],
    "deals": ["deal_id", "lead_id", "client_key", "created_at", "closed_at", "status", "amount", "currency",
              "updated_at"],
    "ad_spend": ["date", "platform", "campaign", "source", "medium", "cost", "currency", "impressions",
                 "clicks"],
    "costs": ["period_start", "period_end", "channel", "cost_type", "amount", "currency"],
    "fx_rates": ["date", "currency", "rate_to_base"],
}
CAPACITY_COLUMNS = ["effective_from", "production_units", "jobs_per_unit_per_shift", "shift_hours",
                    "working_days_per_month", "meeting_hours", "call_minutes", "target_load",
                    "fixed_costs_per_month", "variable_cost_per_job", "gross_margin", "base_currency"]
FIXATION_COLUMNS = ["channel", "effective_from", "cost_per_fixed_lead", "currency"]
PLAN_COLUMNS = ["month", "channel", "target_contacts", "target_deals", "target_revenue", "target_budget"]

# --------------------------------------------------------------------------------------------------
# The company model
# --------------------------------------------------------------------------------------------------
CHANNELS = ["tv", "brand", "online_ads", "direct_sales", "outdoor", "partners", "aggregators", "unknown"]
_CH = {c: i for i, c in enumerate(CHANNELS)}
#                       tv     brand  online direct outdoor partners aggreg unknown
_SHARE = np.array([0.090, 0.160, 0.330, 0.090, 0.060, 0.080, 0.182, 0.008])  # of primary contacts
_FIX = np.array([0.62, 0.80, 0.72, 0.55, 0.60, 0.85, 0.74, 0.50])            # contact -> lead
_BOOK = np.array([0.42, 0.56, 0.48, 0.36, 0.40, 0.62, 0.46, 0.35])           # lead -> meeting booked
_NOSHOW = np.array([0.17, 0.08, 0.15, 0.10, 0.16, 0.06, 0.22, 0.20])         # planned -> no-show
_CLOSE = np.array([0.46, 0.62, 0.55, 0.42, 0.45, 0.66, 0.44, 0.40])          # held -> won
_CHECK = np.array([13_000, 15_500, 13_500, 26_000, 9_500, 38_000, 7_800, 10_000])  # median deal, RUB
_TV_FLIGHT_MONTHS = (3, 4, 5, 11, 12)

# (channel, source, medium, campaign, weight within channel, active months or None)
TOUCHES: list[tuple[str, str, str, str, float, tuple[int, ...] | None]] = [
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
]
_T_CH = np.array([_CH[t[0]] for t in TOUCHES])
_T_INDEX = {(t[1], t[2], t[3]): i for i, t in enumerate(TOUCHES)}
_T_DIRECT = _T_INDEX[("direct", "", "")]
_T_B2B = _T_INDEX[("partner_b2b", "referral", "facility_management")]
# leads entered by hand (walk-ins, manager's own calls): no tracked contact, own source/medium/campaign
_NC_TOUCHES = np.array([_T_INDEX[("referral", "word_of_mouth", "")], _T_DIRECT,
                        _T_INDEX[("partner_realty", "referral", "realty_agencies")],
                        _T_INDEX[("avito", "marketplace", "")],
                        _T_INDEX[("outdoor", "billboard", "metro_lines")]])
_NC_P = np.array([0.35, 0.25, 0.20, 0.10, 0.10])

CONTACT_TYPES = ["call", "form", "chat", "email", "walk_in"]
_CTYPE_P = np.array([
    [0.88, 0.10, 0.02, 0.00, 0.00],  # tv
    [0.50, 0.28, 0.14, 0.04, 0.04],  # brand
    [0.40, 0.42, 0.18, 0.00, 0.00],  # online_ads
    [0.55, 0.05, 0.00, 0.40, 0.00],  # direct_sales
    [0.78, 0.20, 0.02, 0.00, 0.00],  # outdoor
    [0.55, 0.05, 0.05, 0.20, 0.15],  # partners
    [0.35, 0.10, 0.55, 0.00, 0.00],  # aggregators
    [0.40, 0.30, 0.30, 0.00, 0.00],  # unknown
])
# P(phone), P(e-mail) of the client_key by contact type; the rest has no client_key (anonymous chat)
_KEY_PHONE = np.array([1.00, 0.80, 0.55, 0.00, 0.92])
_KEY_EMAIL = np.array([0.00, 0.20, 0.25, 1.00, 0.00])
# median minutes from contact to the lead in the CRM, by contact type
_FIX_DELAY_MIN = np.array([7.0, 45.0, 20.0, 120.0, 4.0])

_SEASON = np.array([0.70, 0.85, 1.10, 1.30, 1.25, 0.90, 0.80, 0.85, 1.00, 1.05, 1.05, 1.25])
_SEASON = _SEASON / _SEASON.mean()
_WEEKDAY = np.array([1.15, 1.10, 1.05, 1.00, 0.95, 0.75, 0.60])
_WEEKDAY = _WEEKDAY / _WEEKDAY.mean()
_HOUR = np.array([0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.8, 3.2, 4.2, 4.4,
                  4.0, 3.8, 3.9, 3.8, 3.6, 3.5, 3.3, 3.0, 2.4, 1.8, 1.0, 0.5])
_HOUR = _HOUR / _HOUR.sum()
_GROWTH_PER_YEAR = 0.08
CONTACTS_PER_MONTH = 2000
_REPEAT_SHARE = 0.09      # contacts that are a repeat inquiry of an existing lead
_NC_SHARE = 0.08          # leads with no tracked contact
_DEAL_IF_HELD = 0.90      # held meeting -> a deal (quote) is created
_LATE_WIN = 0.04          # won deals closed about a month later
_NO_LEAD_DEALS = 0.03     # deals created by managers for returning clients, no lead
_RETURNING_SHARE = 0.08   # primary contacts from a client already known: a new lead of an old client
_RETURNING_BUYER = 0.60   # ... of which a past buyer ordering again (the rest: an earlier lead coming back)
_KNOWN_CLIENTS_KEPT = 200_000  # the most recent known clients a returning contact is drawn from
_USD_B2B = 0.30           # share of facility-management (B2B partner) deals invoiced in USD
_USD_RUB0 = 92.0

OPERATORS = 6
_OPERATOR_P = np.array([0.22, 0.20, 0.18, 0.16, 0.14, 0.10])
# people differ: an operator's skill scales the booking rate of the leads they fix, a manager's the
# closing rate of the meetings they hold (the membranes by person have something to rank)
_OPERATOR_SKILL = np.array([1.10, 1.00, 0.95, 1.05, 0.80, 0.90])
_OPERATOR_SKILL = _OPERATOR_SKILL / (_OPERATOR_SKILL @ _OPERATOR_P)   # the company's rates stay as set
MANAGERS = 4
_MANAGER_P = np.array([0.30, 0.27, 0.23, 0.20])
_MANAGER_SKILL = np.array([1.12, 1.00, 0.85, 0.95])
_MANAGER_SKILL = _MANAGER_SKILL / (_MANAGER_SKILL @ _MANAGER_P)

LEAD_STATUSES = ["new", "meeting_booked", "won", "lost", "junk", "declined"]
# the demo CRM's statuses and the canonical stages they mean (config/lead_statuses.csv)
LEAD_STAGES = {"new": "mql", "meeting_booked": "sal", "won": "won", "lost": "lost", "junk": "disqualified",
               "declined": "rejected"}
MEETING_STATUSES = ["planned", "held", "no_show", "cancelled", "rescheduled"]
_M_PLANNED, _M_HELD, _M_NOSHOW, _M_CANCEL, _M_RESCHED = range(5)
DEAL_STATUSES = ["open", "won", "lost"]
CURRENCIES = ["RUB", "USD"]

# (platform, campaign, source, medium, currency, share of online budget, cpc RUB, ctr, active months)
AD_CAMPAIGNS = [
    ("yandex_direct", "yd_search_general", "yandex", "cpc", "RUB", 0.30, 78.0, 0.045, None),
    ("yandex_direct", "yd_search_windows", "yandex", "cpc", "RUB", 0.12, 62.0, 0.050, (4, 5, 6, 7, 8, 9)),
    ("yandex_direct", "yd_rsya_retarget", "yandex", "cpc", "RUB", 0.13, 24.0, 0.006, None),
    ("vk_ads", "vk_promo_cleaning", "vk", "cpc", "RUB", 0.12, 36.0, 0.008, None),
    ("vk_ads", "vk_lookalike", "", "", "RUB", 0.10, 31.0, 0.007, None),  # no UTM: platform is the source
    ("google_ads", "g_search_moscow", "google", "cpc", "USD", 0.13, 95.0, 0.040, None),
]
_ONLINE_BUDGET = 420_000.0  # RUB per average month at the default volume

# (channel, cost_type, RUB per average month at the default volume, active months or None, seasonal?)
COST_ITEMS = [
    ("tv", "tv_flight", 230_000, _TV_FLIGHT_MONTHS, False),
    ("tv", "radio_spots", 70_000, _TV_FLIGHT_MONTHS, False),
    ("outdoor", "billboards", 45_000, None, False),
    ("outdoor", "transit_ads", 25_000, (3, 4, 5, 6, 7, 8, 9, 10), False),
    ("partners", "partner_commission", 320_000, None, True),
    ("direct_sales", "call_center", 120_000, None, False),
    ("online_ads", "agency_fee", 65_000, None, False),
    ("brand", "seo_site_support", 55_000, None, False),
    ("aggregators", "profile_subscription", 35_000, None, False),
]

_FIRST_NAMES = ["anna", "ivan", "olga", "sergey", "elena", "dmitry", "maria", "alexey", "natalia", "andrey",
                "irina", "pavel", "tatiana", "mikhail", "svetlana", "nikolay", "ekaterina", "vladimir",
                "yulia", "artem", "oksana", "roman", "daria", "igor", "polina", "kirill", "marina", "oleg",
                "vera", "denis", "sofia", "maxim", "alina", "egor", "ksenia", "anton", "lyudmila", "gleb",
                "valeria", "timur"]
_DOMAINS = ["example.com", "example.net", "example.org"]

# --------------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------------


def _ts(d: date) -> int:
    return (d - EPOCH).days * DAY


def _month_iter(start: date, end: date):
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        first = date(y, m, 1)
        last = date(y, m, calendar.monthrange(y, m)[1])
        yield first, min(last, end)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def period_of(end_date: date, years: int) -> tuple[date, date]:
    """History = first day of the month after (end_date minus `years` years) .. end_date."""
    y, m = end_date.year - years, end_date.month + 1
    if m == 13:
        y, m = y + 1, 1
    return date(y, m, 1), end_date


def _lognorm(rng, median, sigma, size):
    return median * np.exp(sigma * rng.standard_normal(size))


def _uniform(rng, lo, hi, size):
    return lo + (hi - lo) * rng.random(size)


def _office_hours(rng, t: np.ndarray, not_before: np.ndarray) -> np.ndarray:
    """Move CRM updates to 10:00-21:00 of the same day, but never before `not_before`."""
    return np.maximum(t // DAY * DAY + rng.integers(10 * HOUR, 21 * HOUR, size=len(t)), not_before)


def _choice_by_group(rng, group: np.ndarray, n_groups: int, options, probs) -> np.ndarray:
    """For every element, draw one of options[g] with probabilities probs[g] (g = its group)."""
    out = np.zeros(len(group), dtype=np.int64)
    for g in range(n_groups):
        idx = np.flatnonzero(group == g)
        if len(idx):
            out[idx] = rng.choice(options[g], size=len(idx), p=probs[g])
    return out


def _touch_probs(month: int):
    """Per channel: touch indices and their probabilities in a given calendar month."""
    opts, probs = [], []
    for c in range(len(CHANNELS)):
        idx = np.flatnonzero(_T_CH == c)
        w = np.array([TOUCHES[i][4] if (TOUCHES[i][5] is None or month in TOUCHES[i][5]) else 0.0
                      for i in idx])
        opts.append(idx)
        probs.append(w / w.sum())
    return opts, probs


def _channel_shares(month: int) -> np.ndarray:
    s = _SHARE.copy()
    s[_CH["tv"]] *= 1.7 if month in _TV_FLIGHT_MONTHS else 0.5
    s[_CH["outdoor"]] *= 1.2 if 4 <= month <= 9 else 0.9
    return s / s.sum()


def _day_weights(days: np.ndarray, start: date) -> np.ndarray:
    """Relative demand of each day (datetime64[D] array)."""
    months = days.astype("datetime64[M]").astype(int) % 12  # 0 = January
    dow = (days.astype(int) + 3) % 7                        # 0 = Monday (1970-01-01 was a Thursday)
    dom = (days - days.astype("datetime64[M]")).astype(int) + 1
    w = _SEASON[months] * _WEEKDAY[dow]
    w = w * (1.0 + _GROWTH_PER_YEAR * (days - np.datetime64(start)).astype(int) / 365.25)
    w = np.where((months == 0) & (dom <= 8), w * 0.4, w)        # New Year holidays
    w = np.where((months == 11) & (dom >= 20) & (dom <= 30), w * 1.3, w)  # pre-New-Year cleaning
    return w


# --------------------------------------------------------------------------------------------------
# one cohort: everything that starts in one calendar month
# --------------------------------------------------------------------------------------------------


class _Ctx:
    def __init__(self, seed: int, t_end: int):
        self.seed = seed
        self.t_end = t_end
        self.next = {"contact": 1, "lead": 1, "meeting": 1, "deal": 1, "client": 1}
        self.won_pool_ck = np.zeros(0, dtype=np.int64)
        self.won_pool_kind = np.zeros(0, dtype=np.int64)
        self.buyers = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))     # (client, key kind)
        self.prospects = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        self.records = {"contacts": 0, "leads": 0, "meetings": 0, "deals": 0}

    def take(self, kind: str, n: int) -> np.ndarray:
        first = self.next[kind]
        self.next[kind] = first + n
        return np.arange(first, first + n, dtype=np.int64)


def _primaries(ctx: _Ctx, rng, day_ts: np.ndarray, month: int) -> dict:
    n = len(day_ts)
    ch = rng.choice(len(CHANNELS), size=n, p=_channel_shares(month))
    opts, probs = _touch_probs(month)
    touch = _choice_by_group(rng, ch, len(CHANNELS), opts, probs)
    ctype = _choice_by_group(rng, ch, len(CHANNELS), [np.arange(5)] * len(CHANNELS), _CTYPE_P)
    recv = day_ts + rng.choice(24, size=n, p=_HOUR) * HOUR + rng.integers(0, HOUR, size=n)
    u = rng.random(n)
    ckind = np.where(u < _KEY_PHONE[ctype], 0, np.where(u < _KEY_PHONE[ctype] + _KEY_EMAIL[ctype], 1, -1))
    ck = ctx.take("client", n)
    fixed = rng.random(n) < _FIX[ch]
    delay = np.clip(_lognorm(rng, _FIX_DELAY_MIN[ctype] * 60.0, 0.9, n), 60, 12 * HOUR).astype(np.int64)
    return {"ch": ch, "touch": touch, "ctype": ctype, "recv": recv, "ck": ck, "ckind": ckind,
            "fixed": fixed, "lead_t": recv + delay}


def _gen_cohort(ctx: _Ctx, mi: int, m_first: date, m_last: date, day_counts: np.ndarray) -> dict:
    rng = np.random.default_rng([ctx.seed, 1, mi])
    T = ctx.t_end
    month = m_first.month
    m0 = _ts(m_first)
    ndays = (m_last - m_first).days + 1
    n = int(day_counts.sum())
    slots = np.repeat(np.arange(ndays, dtype=np.int64), day_counts)
    n_rep = int(rng.binomial(n, _REPEAT_SHARE)) if n else 0
    perm = rng.permutation(n)
    P = _primaries(ctx, rng, m0 + slots[perm[: n - n_rep]] * DAY, month)
    if n_rep and not np.any(P["fixed"] & (P["lead_t"] <= T - 120)):
        # nothing to repeat (tiny volumes): every contact is a primary one
        n_rep = 0
        P = _primaries(ctx, rng, m0 + slots[perm] * DAY, month)
    day_p = day_counts / n if n else np.full(ndays, 1.0 / ndays)
    _return_known_clients(ctx, np.random.default_rng([ctx.seed, 3, mi]), P)

    # ---------------- leads ----------------
    lc = np.flatnonzero(P["fixed"] & (P["lead_t"] <= T))          # contacts that became leads
    n_nc = int(rng.binomial(len(lc), _NC_SHARE / (1 - _NC_SHARE))) if len(lc) else 0
    nc_touch = rng.choice(_NC_TOUCHES, size=n_nc, p=_NC_P)
    nc_created = (m0 + rng.choice(ndays, size=n_nc, p=day_p) * DAY
                  + rng.integers(9 * HOUR, 20 * HOUR, size=n_nc))
    nc_keep = nc_created <= T
    nc_touch, nc_created = nc_touch[nc_keep], nc_created[nc_keep]
    n_nc = len(nc_created)
    lead_src = np.concatenate([lc, np.full(n_nc, -1)])
    created = np.concatenate([P["lead_t"][lc], nc_created])
    l_touch = np.concatenate([P["touch"][lc], nc_touch])
    l_ch = _T_CH[l_touch]
    ck = np.concatenate([P["ck"][lc], np.zeros(n_nc, dtype=np.int64)])
    ckind = np.concatenate([P["ckind"][lc], np.full(n_nc, -1)])
    nokey = ckind < 0                      # the operator always asks for a phone
    ck[nokey] = ctx.take("client", int(nokey.sum()))
    ckind[nokey] = 0
    order = np.argsort(created, kind="stable")
    lead_src, created, l_touch, l_ch, ck, ckind = (
        a[order] for a in (lead_src, created, l_touch, l_ch, ck, ckind))
    nL = len(created)
    lead_id = ctx.take("lead", nL)
    operator = rng.choice(OPERATORS, size=nL, p=_OPERATOR_P)
    manager = rng.choice(MANAGERS, size=nL, p=_MANAGER_P)
    contact_lead = np.full(len(P["recv"]), -1, dtype=np.int64)
    from_contact = lead_src >= 0
    contact_lead[lead_src[from_contact]] = lead_id[from_contact]

    # ---------------- contacts (primaries + repeats) ----------------
    if n_rep:
        elig = np.flatnonzero(from_contact & (created <= T - 120))
        rl = rng.choice(elig, size=n_rep)
        room = np.minimum(5 * DAY, T - created[rl] - 60)       # within days, never after the end
        r_recv = created[rl] + 60 + (rng.random(n_rep) ** 2 * room).astype(np.int64)
        r_touch = np.where(rng.random(n_rep) < 0.55, l_touch[rl], _T_DIRECT)
        r_ctype = rng.choice(5, size=n_rep, p=[0.78, 0.10, 0.12, 0.0, 0.0])
        r_upd = np.minimum(r_recv + rng.integers(20, 600, size=n_rep), T)
        r_ck, r_kind, r_lead = ck[rl], ckind[rl], lead_id[rl]
    else:
        r_recv = r_touch = r_ctype = r_upd = r_ck = r_kind = r_lead = np.zeros(0, dtype=np.int64)
    c_recv = np.concatenate([P["recv"], r_recv])
    c_touch = np.concatenate([P["touch"], r_touch])
    c_ctype = np.concatenate([P["ctype"], r_ctype])
    c_ck = np.concatenate([P["ck"], r_ck])
    c_kind = np.concatenate([P["ckind"], r_kind])
    c_lead0 = np.concatenate([np.full(len(P["recv"]), -1), r_lead])
    c_upd0 = np.concatenate([P["recv"], r_upd])
    order = np.argsort(c_recv, kind="stable")
    cid = np.empty(n, dtype=np.int64)
    cid[order] = ctx.take("contact", n)
    fixed_pos = np.flatnonzero(contact_lead >= 0)          # primaries that got linked to their lead
    link_t = np.zeros(len(P["recv"]), dtype=np.int64)
    link_t[lead_src[from_contact]] = created[from_contact]
    contacts = _versions({
        "id": (cid, cid[fixed_pos]),
        "recv": (c_recv, c_recv[fixed_pos]),
        "ctype": (c_ctype, c_ctype[fixed_pos]),
        "touch": (c_touch, c_touch[fixed_pos]),
        "ck": (c_ck, c_ck[fixed_pos]),
        "ckind": (c_kind, c_kind[fixed_pos]),
        "lead": (c_lead0, contact_lead[fixed_pos]),
        "upd": (c_upd0, link_t[fixed_pos]),
    })

    # ---------------- meetings ----------------
    booked = rng.random(nL) < _BOOK[l_ch] * _OPERATOR_SKILL[operator]
    booked_at = created + np.clip(_lognorm(rng, 40 * 60, 1.3, nL), 120, 3 * DAY).astype(np.int64)
    b = np.flatnonzero(booked & (booked_at <= T))             # leads with a first meeting

    def meeting_round(lead_pos, b_at, first: bool):
        k = len(lead_pos)
        sched = ((b_at // DAY + rng.integers(1, 8, size=k)) * DAY + rng.integers(9, 19, size=k) * HOUR
                 + rng.integers(0, 2, size=k) * 1800)
        u = rng.random(k)
        ns = rng.random(k) < _NOSHOW[l_ch[lead_pos]]
        if first:
            out = np.where(u < 0.06, _M_CANCEL,
                           np.where(u < 0.14, _M_RESCHED, np.where(ns, _M_NOSHOW, _M_HELD)))
        else:
            out = np.where(u < 0.05, _M_CANCEL, np.where(ns, _M_NOSHOW, _M_HELD))
        early = (out == _M_CANCEL) | (out == _M_RESCHED)
        chg = np.where(early, b_at + ((sched - b_at) * _uniform(rng, 0.15, 0.9, k)).astype(np.int64),
                       sched + _uniform(rng, 1.5 * HOUR, 4 * HOUR, k).astype(np.int64))
        return sched, out, chg

    s1, o1, c1 = meeting_round(b, booked_at[b], True)
    r = np.flatnonzero((o1 == _M_RESCHED) & (c1 <= T))
    b2_at = c1[r] + rng.integers(60, 900, size=len(r))
    keep2 = b2_at <= T
    r, b2_at = r[keep2], b2_at[keep2]
    s2, o2, c2 = meeting_round(b[r], b2_at, False)
    m_lead = np.concatenate([b, b[r]])
    m_booked = np.concatenate([booked_at[b], b2_at])
    m_sched = np.concatenate([s1, s2])
    m_out = np.concatenate([o1, o2])
    m_chg = np.concatenate([c1, c2])
    order = np.argsort(m_booked, kind="stable")
    mid = np.empty(len(m_lead), dtype=np.int64)
    mid[order] = ctx.take("meeting", len(m_lead))
    done = np.flatnonzero(m_chg <= T)
    nM = len(m_lead)
    meetings = _versions({
        "lead": (lead_id[m_lead], lead_id[m_lead[done]]),
        "id": (mid, mid[done]),
        "booked": (m_booked, m_booked[done]),
        "sched": (m_sched, m_sched[done]),
        "status": (np.full(nM, _M_PLANNED), m_out[done]),
        "mgr": (manager[m_lead], manager[m_lead[done]]),
        "upd": (m_booked, m_chg[done]),
    })

    # final meeting of each lead with a meeting: the second one if it was rescheduled and re-booked
    fin_out = np.full(nL, -1)
    fin_chg = np.zeros(nL, dtype=np.int64)
    fin_out[b] = np.where(c1 <= T, o1, _M_PLANNED)
    fin_chg[b] = c1
    fin_out[b[r]] = np.where(c2 <= T, o2, _M_PLANNED)
    fin_chg[b[r]] = c2

    # ---------------- deals ----------------
    held = np.flatnonzero(fin_out == _M_HELD)
    has_deal = rng.random(len(held)) < _DEAL_IF_HELD
    d_created = fin_chg[held] + rng.integers(300, 5400, size=len(held))
    dl = held[has_deal & (d_created <= T)]                 # lead positions with a deal
    d_created = d_created[has_deal & (d_created <= T)]
    k = len(dl)
    won = rng.random(k) < np.minimum(0.95, _CLOSE[l_ch[dl]] * _MANAGER_SKILL[manager[dl]] / _DEAL_IF_HELD)
    late = rng.random(k) < _LATE_WIN
    dur = np.where(won, np.where(late, _uniform(rng, 25 * DAY, 40 * DAY, k),
                                 np.clip(_lognorm(rng, 2.5 * DAY, 0.7, k), 0.3 * DAY, 12 * DAY)),
                   _uniform(rng, 1 * DAY, 14 * DAY, k)).astype(np.int64)
    quote = np.maximum(np.round(_lognorm(rng, _CHECK[l_ch[dl]], 0.45, k), -2), 3000)
    final = np.where(won, np.round(quote * _uniform(rng, 0.92, 1.12, k), -2), quote)
    usd = (l_touch[dl] == _T_B2B) & (rng.random(k) < _USD_B2B)
    quote = np.where(usd, np.round(quote / _USD_RUB0, -1), quote)
    final = np.where(usd, np.round(final / _USD_RUB0, -1), final)
    # returning clients who call their manager directly: deals with no lead
    n_nl = int(rng.binomial(k, _NO_LEAD_DEALS)) if k else 0
    nl_created = (m0 + rng.choice(ndays, size=n_nl, p=day_p) * DAY
                  + rng.integers(9 * HOUR, 19 * HOUR, size=n_nl))
    nl_keep = nl_created <= T
    nl_created = nl_created[nl_keep]
    n_nl = len(nl_created)
    if len(ctx.won_pool_ck):
        pick = rng.integers(0, len(ctx.won_pool_ck), size=n_nl)
        nl_ck, nl_kind = ctx.won_pool_ck[pick], ctx.won_pool_kind[pick]
    else:
        nl_ck, nl_kind = ctx.take("client", n_nl), np.zeros(n_nl, dtype=np.int64)
    nl_won = rng.random(n_nl) < 0.85
    nl_dur = np.clip(_lognorm(rng, 2 * DAY, 0.6, n_nl), 0.3 * DAY, 10 * DAY).astype(np.int64)
    nl_quote = np.maximum(np.round(_lognorm(rng, 8_500, 0.35, n_nl), -2), 3000)

    D_lead = np.concatenate([lead_id[dl], np.full(n_nl, -1)])
    D_ck = np.concatenate([ck[dl], nl_ck])
    D_kind = np.concatenate([ckind[dl], nl_kind])
    D_created = np.concatenate([d_created, nl_created])
    D_closed = _office_hours(rng, D_created + np.concatenate([dur, nl_dur]), D_created + 1800)
    D_won = np.concatenate([won, nl_won])
    D_quote = (np.concatenate([quote, nl_quote]) * 100).astype(np.int64)
    D_final = (np.concatenate([final, nl_quote]) * 100).astype(np.int64)
    D_cur = np.concatenate([usd.astype(np.int64), np.zeros(n_nl, dtype=np.int64)])
    order = np.argsort(D_created, kind="stable")
    nD = len(D_created)
    did = np.empty(nD, dtype=np.int64)
    did[order] = ctx.take("deal", nD)
    cl = np.flatnonzero(D_closed <= T)
    deals = _versions({
        "id": (did, did[cl]),
        "lead": (D_lead, D_lead[cl]),
        "ck": (D_ck, D_ck[cl]),
        "ckind": (D_kind, D_kind[cl]),
        "created": (D_created, D_created[cl]),
        "closed": (np.full(nD, -1), D_closed[cl]),
        "status": (np.zeros(nD, dtype=np.int64), np.where(D_won[cl], 1, 2)),
        "amount": (D_quote, D_final[cl]),
        "cur": (D_cur, D_cur[cl]),
        "upd": (D_created, D_closed[cl]),
    })
    wpool = cl[D_won[cl]]
    ctx.won_pool_ck, ctx.won_pool_kind = D_ck[wpool], D_kind[wpool]
    ctx.buyers = _remember(ctx.buyers, D_ck[wpool], D_kind[wpool])
    ctx.prospects = _remember(ctx.prospects, ck, ckind)

    # ---------------- lead status history ----------------
    # v1: meeting booked, or given up (lost / junk) when no meeting was ever booked
    gave_up = _office_hours(rng, created + _uniform(rng, HOUR, 3 * DAY, nL).astype(np.int64), created + 600)
    v1_t = np.where(booked, booked_at, gave_up)
    v1_s = np.where(booked, 1, np.where(rng.random(nL) < 0.3, 4, 5))   # junk, or declined by sales
    v1_ok = v1_t <= T
    # v2: outcome of a booked lead
    v2_t = np.full(nL, T + 1)
    v2_s = np.full(nL, 3)
    lost_m = np.flatnonzero((fin_out == _M_CANCEL) | (fin_out == _M_NOSHOW))
    v2_t[lost_m] = fin_chg[lost_m] + rng.integers(60, 3 * HOUR, size=len(lost_m))
    no_deal = held[~has_deal]
    v2_t[no_deal] = fin_chg[no_deal] + rng.integers(HOUR, DAY, size=len(no_deal))
    d_lead_pos = dl[cl[cl < k]]              # leads whose deal is closed
    closed_lead_deals = cl[cl < k]
    v2_t[d_lead_pos] = D_closed[closed_lead_deals] + 60
    v2_s[d_lead_pos] = np.where(D_won[closed_lead_deals], 2, 3)
    v2_ok = np.flatnonzero(v2_t <= T)
    i1 = np.flatnonzero(v1_ok)
    leads = _versions({
        "id": (lead_id, lead_id[i1], lead_id[v2_ok]),
        "created": (created, created[i1], created[v2_ok]),
        "ck": (ck, ck[i1], ck[v2_ok]),
        "ckind": (ckind, ckind[i1], ckind[v2_ok]),
        "touch": (l_touch, l_touch[i1], l_touch[v2_ok]),
        "status": (np.zeros(nL, dtype=np.int64), v1_s[i1], v2_s[v2_ok]),
        "op": (operator, operator[i1], operator[v2_ok]),
        "mgr": (np.full(nL, -1), np.where(booked[i1], manager[i1], -1), manager[v2_ok]),
        "upd": (created, v1_t[i1], v2_t[v2_ok]),
    })
    ctx.records["contacts"] += n
    ctx.records["leads"] += nL
    ctx.records["meetings"] += nM
    ctx.records["deals"] += nD
    return {"contacts": contacts, "leads": leads, "meetings": meetings, "deals": deals}


def _return_known_clients(ctx: _Ctx, rng, primaries: dict) -> None:
    """Give a share of the month's primary contacts the key of a client seen in an earlier month, so that
    clients buy again and come back through other channels (own random stream: the rest stays as it was)."""
    n = len(primaries["ck"])
    back = np.flatnonzero(rng.random(n) < _RETURNING_SHARE)
    from_buyers = rng.random(len(back)) < _RETURNING_BUYER
    for pool, chosen in ((ctx.buyers, back[from_buyers]), (ctx.prospects, back[~from_buyers])):
        if len(pool[0]) and len(chosen):
            pick = rng.integers(0, len(pool[0]), size=len(chosen))
            primaries["ck"][chosen], primaries["ckind"][chosen] = pool[0][pick], pool[1][pick]


def _remember(pool: tuple[np.ndarray, np.ndarray], ck: np.ndarray, ckind: np.ndarray):
    """Append clients to a pool of known ones, keeping only the most recent (bounded memory)."""
    return (np.concatenate([pool[0], ck])[-_KNOWN_CLIENTS_KEPT:],
            np.concatenate([pool[1], ckind])[-_KNOWN_CLIENTS_KEPT:])


def _versions(cols: dict) -> dict:
    """Concatenate the version parts of every column and sort by (id, updated_at)."""
    out = {name: np.concatenate([np.asarray(p, dtype=np.int64) for p in parts])
           for name, parts in cols.items()}
    order = np.lexsort((out["upd"], out["id"]))
    return {name: a[order] for name, a in out.items()}


class _Buffer:
    """Versions (sorted by id, then updated_at) that a later export may still need."""

    def __init__(self):
        self.cols: dict[str, np.ndarray] | None = None

    def append(self, part: dict) -> None:
        if self.cols is None:
            self.cols = part
        else:
            self.cols = {k: np.concatenate([self.cols[k], part[k]]) for k in part}

    def prune(self, min_upd: int) -> None:
        keep = self.cols["upd"] > min_upd
        self.cols = {k: a[keep] for k, a in self.cols.items()}

    def export(self, t_lo: int, t_hi: int) -> dict:
        """Records created or updated in (t_lo, t_hi], each in its latest state on or before t_hi."""
        upd, ids = self.cols["upd"], self.cols["id"]
        sel = np.flatnonzero((upd > t_lo) & (upd <= t_hi))
        if len(sel):
            last = np.append(ids[sel[1:]] != ids[sel[:-1]], True)
            sel = sel[last]
        return {k: a[sel] for k, a in self.cols.items()}


# --------------------------------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------------------------------


def _arr(values: np.ndarray, typ: pa.DataType, null: np.ndarray | None = None) -> pa.Array:
    """Arrow array straight from a numpy buffer (no pandas round trip); `null` marks NULLs."""
    values = np.ascontiguousarray(values)
    if null is None or not null.any():
        return pa.Array.from_buffers(typ, len(values), [None, pa.py_buffer(values)])
    valid = pa.py_buffer(np.packbits(~null, bitorder="little"))
    return pa.Array.from_buffers(typ, len(values), [valid, pa.py_buffer(values)], null_count=int(null.sum()))


def _dict_col(codes: np.ndarray, labels: list[str]) -> pa.Array:
    """Dictionary-encoded text column; '' labels become NULL (written as an empty field)."""
    uniq = sorted({x for x in labels if x})
    pos = {x: i for i, x in enumerate(uniq)}
    lut = np.array([pos.get(x, -1) for x in labels], dtype=np.int32)
    idx = lut[codes]
    null = idx < 0
    indices = _arr(np.where(null, 0, idx).astype(np.int32), pa.int32(), null)
    return pa.DictionaryArray.from_arrays(indices, pa.array(uniq if uniq else [""], pa.string()))


def _ts_col(secs: np.ndarray) -> pa.Array:
    return _arr(secs.astype(np.int64), pa.timestamp("s"), secs < 0)


def _client_cols(ck: np.ndarray, ckind: np.ndarray) -> dict:
    """Fake but unique client keys: +79XXXXXXXXX phones and name.number@example.* e-mails.

    Both numbers are bijective scrambles of the client number, so two clients never share a key."""
    return {"ckind": ckind, "phone": (ck * 387_420_489 + 104_729) % 1_000_000_000,
            "mailno": (ck * 2_654_435_761 + 7_919) % 1_000_000_007,
            "fname": _dict_col(ck % len(_FIRST_NAMES), _FIRST_NAMES),
            "domain": _dict_col((ck // 7) % len(_DOMAINS), _DOMAINS)}


_T_SRC = [t[1] for t in TOUCHES]
_T_MED = [t[2] for t in TOUCHES]
_T_CMP = [t[3] for t in TOUCHES]

_CLIENT_KEY_SQL = ("CASE ckind WHEN 0 THEN '+79' || lpad(phone::VARCHAR, 9, '0') "
                   "WHEN 1 THEN fname || '.' || mailno::VARCHAR || '@' || domain END")

_SELECT = {
    "contacts": "SELECT printf('C%09d', id) contact_id, recv received_at, ctype contact_type, source, "
                "medium, campaign, " + _CLIENT_KEY_SQL + " client_key, "
                "CASE WHEN lead > 0 THEN printf('L%09d', lead) END lead_id, upd updated_at FROM t",
    "leads": "SELECT printf('L%09d', id) lead_id, created created_at, " + _CLIENT_KEY_SQL + " client_key, "
             "source, medium, campaign, status, printf('op%02d', op + 1) operator_id, "
             "CASE WHEN mgr >= 0 THEN printf('mgr%02d', mgr + 1) END manager_id, upd updated_at FROM t",
    "meetings": "SELECT printf('L%09d', lead) lead_id, printf('M%09d', id) meeting_id, booked booked_at, "
                "sched scheduled_at, status, printf('mgr%02d', mgr + 1) manager_id, upd updated_at FROM t",
    "deals": "SELECT printf('D%09d', id) deal_id, CASE WHEN lead > 0 THEN printf('L%09d', lead) END lead_id, "
             + _CLIENT_KEY_SQL + " client_key, created created_at, closed closed_at, status, "
             "(amount::DECIMAL(18,2) / 100)::DECIMAL(18,2) amount, currency, upd updated_at FROM t",
    "ad_spend": "SELECT d date, platform, campaign, source, medium, "
                "(cost::DECIMAL(18,2) / 100)::DECIMAL(18,2) cost, currency, impressions, clicks FROM t",
    "costs": "SELECT ps period_start, pe period_end, channel, cost_type, "
             "(amount::DECIMAL(18,2) / 100)::DECIMAL(18,2) amount, currency FROM t",
    "fx_rates": "SELECT d date, currency, (r::DECIMAL(18,4) / 10000)::DECIMAL(12,4) rate_to_base FROM t",
}


def _arrow(entity: str, c: dict) -> pa.Table:
    if entity == "contacts":
        return pa.table({"id": c["id"], "recv": _ts_col(c["recv"]),
                         "ctype": _dict_col(c["ctype"], CONTACT_TYPES),
                         "source": _dict_col(c["touch"], _T_SRC), "medium": _dict_col(c["touch"], _T_MED),
                         "campaign": _dict_col(c["touch"], _T_CMP), **_client_cols(c["ck"], c["ckind"]),
                         "lead": c["lead"], "upd": _ts_col(c["upd"])})
    if entity == "leads":
        return pa.table({"id": c["id"], "created": _ts_col(c["created"]), **_client_cols(c["ck"], c["ckind"]),
                         "source": _dict_col(c["touch"], _T_SRC), "medium": _dict_col(c["touch"], _T_MED),
                         "campaign": _dict_col(c["touch"], _T_CMP),
                         "status": _dict_col(c["status"], LEAD_STATUSES), "op": c["op"], "mgr": c["mgr"],
                         "upd": _ts_col(c["upd"])})
    if entity == "meetings":
        return pa.table({"lead": c["lead"], "id": c["id"], "booked": _ts_col(c["booked"]),
                         "sched": _ts_col(c["sched"]), "status": _dict_col(c["status"], MEETING_STATUSES),
                         "mgr": c["mgr"], "upd": _ts_col(c["upd"])})
    if entity == "deals":
        return pa.table({"id": c["id"], "lead": c["lead"], **_client_cols(c["ck"], c["ckind"]),
                         "created": _ts_col(c["created"]), "closed": _ts_col(c["closed"]),
                         "status": _dict_col(c["status"], DEAL_STATUSES), "amount": c["amount"],
                         "currency": _dict_col(c["cur"], CURRENCIES), "upd": _ts_col(c["upd"])})
    raise ValueError(entity)


def _copy(con: duckdb.DuckDBPyConnection, path: Path, table: pa.Table, entity: str) -> None:
    con.register("t", table)
    try:
        target = str(path).replace("'", "''")
        con.execute(f"COPY ({_SELECT[entity]}) TO '{target}' (FORMAT csv, HEADER true)")
    finally:
        con.unregister("t")


# --------------------------------------------------------------------------------------------------
# monthly series: fx, ad spend, costs
# --------------------------------------------------------------------------------------------------


def _fx_walk(seed: int, first: date, last: date) -> tuple[np.ndarray, np.ndarray]:
    """USD->RUB for every calendar day from `first` to `last` (mean-reverting random walk)."""
    rng = np.random.default_rng([seed, 2])
    days = np.arange(np.datetime64(first), np.datetime64(last) + 1)
    n = len(days)
    x = np.empty(n)
    lvl = np.log(_USD_RUB0)
    shocks = rng.standard_normal(n) * 0.0055
    for i in range(n):  # one step per calendar day (a few hundred), not per contact
        lvl += shocks[i] - 0.01 * (lvl - np.log(_USD_RUB0))
        x[i] = lvl
    return days, np.round(np.exp(x), 4)


def _ad_spend_month(seed: int, mi: int, m_first: date, m_last: date, scale: float, fx_days, fx_vals) -> dict:
    rng = np.random.default_rng([seed, 3, mi])
    days = np.arange(np.datetime64(m_first), np.datetime64(m_last) + 1)
    w = _day_weights(days, m_first) / _SEASON[m_first.month - 1]  # weekday pattern only
    season = _SEASON[m_first.month - 1]
    dim = calendar.monthrange(m_first.year, m_first.month)[1]
    rows = {k: [] for k in ("d", "camp", "cost", "imp", "clk")}
    for ci, (_p, _c, _s, _m, cur, share, cpc, ctr, months) in enumerate(AD_CAMPAIGNS):
        if months is not None and m_first.month not in months:
            continue
        noise = np.exp(0.12 * rng.standard_normal(len(days)))
        rub = _ONLINE_BUDGET * scale * season * share / dim * w * noise
        clicks = np.maximum(np.round(rub / cpc * np.exp(0.10 * rng.standard_normal(len(days)))), 0)
        imps = np.round(clicks / ctr * np.exp(0.10 * rng.standard_normal(len(days))))
        if cur == "USD":
            rate = fx_vals[(days - fx_days[0]).astype(int)]
            cost = np.round(rub / rate, 2)
        else:
            cost = np.round(rub, 2)
        rows["d"].append(days)
        rows["camp"].append(np.full(len(days), ci))
        rows["cost"].append(np.round(cost * 100).astype(np.int64))
        rows["imp"].append(imps.astype(np.int64))
        rows["clk"].append(clicks.astype(np.int64))
    out = {k: np.concatenate(v) for k, v in rows.items()}
    order = np.lexsort((out["camp"], out["d"]))
    return {k: v[order] for k, v in out.items()}


def _ad_arrow(a: dict) -> pa.Table:
    camp = a["camp"]
    return pa.table({"d": pa.array(a["d"]), "platform": _dict_col(camp, [x[0] for x in AD_CAMPAIGNS]),
                     "campaign": _dict_col(camp, [x[1] for x in AD_CAMPAIGNS]),
                     "source": _dict_col(camp, [x[2] for x in AD_CAMPAIGNS]),
                     "medium": _dict_col(camp, [x[3] for x in AD_CAMPAIGNS]), "cost": a["cost"],
                     "currency": _dict_col(camp, [x[4] for x in AD_CAMPAIGNS]),
                     "impressions": a["imp"], "clicks": a["clk"]})


def _costs_month(seed: int, mi: int, m_first: date, scale: float) -> pa.Table:
    rng = np.random.default_rng([seed, 4, mi])
    m_end = date(m_first.year, m_first.month, calendar.monthrange(m_first.year, m_first.month)[1])
    items = [it for it in COST_ITEMS if it[3] is None or m_first.month in it[3]]
    base = np.array([it[2] * (_SEASON[m_first.month - 1] if it[4] else 1.0) for it in items])
    amount = np.round(base * scale * np.exp(0.05 * rng.standard_normal(len(items))), -2)
    n = len(items)
    return pa.table({"ps": pa.array([m_first] * n, pa.date32()), "pe": pa.array([m_end] * n, pa.date32()),
                     "channel": pa.array([it[0] for it in items]),
                     "cost_type": pa.array([it[1] for it in items]),
                     "amount": (amount * 100).astype(np.int64), "currency": pa.array(["RUB"] * n)})


# --------------------------------------------------------------------------------------------------
# bad rows
# --------------------------------------------------------------------------------------------------

# (entity, what is wrong, the docs/row_rules.md rule it breaks)
BAD_ROW_KINDS = [
    ("contacts", "received_at '{v}' is not a timestamp (dd.mm.yyyy hh:mm)", "received_at unparseable"),
    ("contacts", "source is empty", "source empty"),
    ("leads", "created_at '0000-00-00 00:00:00' is not a timestamp", "created_at unparseable"),
    ("meetings", "status 'done' is not a meeting status", "status not allowed"),
    ("meetings", "lead_id is empty", "lead_id empty"),
    ("meetings", "status held with an empty scheduled_at", "held/no_show without scheduled_at"),
    ("deals", "amount {v} is negative", "amount negative"),
    ("deals", "won deal with an empty amount", "won without amount"),
    ("deals", "won deal in EUR, no EUR rate", "no fx rate"),
    ("ad_spend", "cost {v} is negative", "cost negative"),
    ("costs", "period_end {v} is before period_start", "period_end before period_start"),
    ("fx_rates", "rate_to_base '{v}' is not a decimal (comma)", "rate_to_base unparseable"),
]


def _make_bad(kind: int, row: dict, serial: int) -> tuple[dict, str]:
    entity, what, _rule = BAD_ROW_KINDS[kind]
    r = dict(row)
    v = ""
    if entity == "contacts":
        r["contact_id"] = f"C{999900000 + serial}"
        r["lead_id"] = ""
        if "received_at" in what:
            d, t = r["received_at"].split(" ")
            v = f"{d[8:10]}.{d[5:7]}.{d[0:4]} {t[:5]}"
            r["received_at"] = v
        else:
            r["source"] = r["medium"] = r["campaign"] = ""
    elif entity == "leads":
        r["lead_id"] = f"L{999900000 + serial}"
        r["created_at"] = "0000-00-00 00:00:00"
    elif entity == "meetings":
        r["meeting_id"] = f"M{999900000 + serial}"
        if "done" in what:
            r["status"] = "done"
        elif "lead_id" in what:
            r["lead_id"] = ""
        else:
            r["status"], r["scheduled_at"] = "held", ""
    elif entity == "deals":
        r["deal_id"] = f"D{999900000 + serial}"
        r["closed_at"] = r["updated_at"]
        if "negative" in what:
            r["status"], r["currency"], r["amount"] = "lost", "RUB", "-8500.00"
            v = r["amount"]
        elif "empty amount" in what:
            r["status"], r["currency"], r["amount"] = "won", "RUB", ""
        else:
            r["status"], r["currency"], r["amount"] = "won", "EUR", "450.00"
    elif entity == "ad_spend":
        r["cost"] = "-" + r["cost"]
        v = r["cost"]
    elif entity == "costs":
        r["period_start"], r["period_end"] = r["period_end"], r["period_start"]
        v = r["period_end"]
    elif entity == "fx_rates":
        v = r["rate_to_base"].replace(".", ",")
        r["rate_to_base"] = v
    return r, what.format(v=v)


def _csv_field(x: str) -> str:
    return f'"{x}"' if ("," in x or '"' in x) else x


def _inject_bad_rows(out_dir: Path, files: dict[str, list[str]], seed: int) -> list[dict]:
    rng = np.random.default_rng([seed, 9])
    bad = []
    used: set[str] = set()
    per_entity: dict[str, int] = {}
    for kind, (entity, _what, rule) in enumerate(BAD_ROW_KINDS):
        j = per_entity.get(entity, 0)
        per_entity[entity] = j + 1
        names = files[entity]
        # spread the bad rows of an entity over different files, from a quarter of the history on
        first = (len(names) * (j + 1)) // 4
        for name in names[first:] + names[:first]:
            if name in used:
                continue
            path = out_dir / "landing" / entity / name
            lines = path.read_bytes().decode("utf-8").split("\n")
            if lines[-1] == "":
                lines.pop()
            if len(lines) >= 2:
                break
        else:  # pragma: no cover - only with absurdly small outputs
            continue
        used.add(name)
        header = lines[0].split(",")
        line_no = int(rng.integers(2, len(lines) + 1))     # 1-based; the new row becomes this line
        src = lines[min(line_no - 1, len(lines) - 1)]
        row = dict(zip(header, src.split(","), strict=True))
        new, what = _make_bad(kind, row, len(bad) + 1)
        lines.insert(line_no - 1, ",".join(_csv_field(new[h]) for h in header))
        path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
        bad.append({"entity": entity, "file": name, "path": f"landing/{entity}/{name}", "line": line_no,
                    "problem": what, "rule": rule})
    return bad


# --------------------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------------------


def generate_company(out_dir: Path, *, contacts: int | None = None, years: int = 1,
                     end_date: date = date(2026, 10, 31), seed: int = 20261101,
                     bad_rows: bool = True, copy_channel_config: bool = True) -> dict:
    """Write a deterministic demo company into ``out_dir`` and return a summary.

    Layout: ``out_dir/landing/<entity>/*.csv`` for contacts, leads, meetings, deals (weekly, overlapping
    exports ``<entity>_YYYY-MM-DD.csv`` holding every record created or updated in the 14 days up to the
    export day, in its state at the end of that day; the last export is on ``end_date``), ad_spend, costs
    and fx_rates (monthly, ``<entity>_YYYY-MM.csv``), plus ``out_dir/config/capacity.csv`` and
    ``out_dir/config/fixation_cost.csv``, ``plan.csv`` and ``lead_statuses.csv`` (that fit the data).
    Events after ``end_date`` 23:59:59 have not happened yet.

    ``contacts=None`` -> about 2,000 contacts a month; ``contacts=N`` -> exactly N distinct contacts, with
    money, capacity and fixed costs scaled in proportion.  ``bad_rows=True`` inserts a dozen rows that each
    break exactly one rule of docs/row_rules.md (listed in the summary with file and 1-based line number,
    line 1 = header); they are extra rows, the valid rows are identical to ``bad_rows=False``.
    ``copy_channel_config`` copies the shipped ``channels.csv`` and ``channel_rules.csv`` into
    ``out_dir/config`` so that the folder is self-contained (the reference scripts read them from there).
    """
    out_dir = Path(out_dir)
    if years < 1:
        raise ValueError("years must be >= 1")
    start, end = period_of(end_date, years)
    days = np.arange(np.datetime64(start), np.datetime64(end) + 1)
    default_n = round(CONTACTS_PER_MONTH * len(days) / 30.4375)
    n_total = default_n if contacts is None else int(contacts)
    if n_total < 0:
        raise ValueError("contacts must be >= 0")
    scale = n_total / default_n
    t_end = _ts(end) + DAY - 1

    # contacts per day: seasonal, weekday and holiday pattern, exact total
    w = _day_weights(days, start)
    day_counts = np.random.default_rng([seed, 0]).multinomial(n_total, w / w.sum())

    landing = out_dir / "landing"
    for entity in CANONICAL_COLUMNS:
        d = landing / entity
        d.mkdir(parents=True, exist_ok=True)
        for old in d.glob(f"{entity}_*.csv"):      # files of an earlier run (same naming) only
            if re.fullmatch(rf"{entity}_\d{{4}}-\d{{2}}(-\d{{2}})?\.csv", old.name):
                old.unlink()
    (out_dir / "config").mkdir(parents=True, exist_ok=True)

    # export days: every Sunday plus end_date
    export_days = [d for d in (start + timedelta(i) for i in range(len(days))) if d.weekday() == 6]
    if not export_days or export_days[-1] != end:
        export_days.append(end)

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET memory_limit = '1GB'")
    ctx = _Ctx(seed, t_end)
    crm = ("contacts", "leads", "meetings", "deals")
    bufs = {e: _Buffer() for e in crm}
    files: dict[str, list[str]] = {e: [] for e in CANONICAL_COLUMNS}
    rows: dict[str, int] = {e: 0 for e in CANONICAL_COLUMNS}

    fx_first = start - timedelta(days=21)
    fx_days, fx_vals = _fx_walk(seed, fx_first, end)
    months = list(_month_iter(start, end))
    ei = 0
    for mi, (m_first, m_last) in enumerate(months):
        d0 = (m_first - start).days
        d1 = (m_last - start).days + 1
        cohort = _gen_cohort(ctx, mi, m_first, m_last, day_counts[d0:d1])
        for e in crm:
            bufs[e].append(cohort[e])
        del cohort
        while ei < len(export_days) and export_days[ei] <= m_last:
            ed = export_days[ei]
            hi = _ts(ed) + DAY - 1
            for e in crm:
                part = bufs[e].export(hi - 14 * DAY, hi)
                name = f"{e}_{ed.isoformat()}.csv"
                _copy(con, landing / e / name, _arrow(e, part), e)
                files[e].append(name)
                rows[e] += len(part["id"])
            ei += 1
        if ei < len(export_days):
            nxt = _ts(export_days[ei]) + DAY - 1
            for e in crm:
                bufs[e].prune(nxt - 14 * DAY)

        # monthly, non-overlapping files
        tag = f"{m_first.year:04d}-{m_first.month:02d}"
        ad = _ad_spend_month(seed, mi, m_first, m_last, scale, fx_days, fx_vals)
        _copy(con, landing / "ad_spend" / f"ad_spend_{tag}.csv", _ad_arrow(ad), "ad_spend")
        files["ad_spend"].append(f"ad_spend_{tag}.csv")
        rows["ad_spend"] += len(ad["d"])
        ct = _costs_month(seed, mi, m_first, scale)
        _copy(con, landing / "costs" / f"costs_{tag}.csv", ct, "costs")
        files["costs"].append(f"costs_{tag}.csv")
        rows["costs"] += ct.num_rows

    # fx: USD on working days only, one file per month of rates
    working = ((fx_days.astype(int) + 3) % 7) < 5
    fd, fv = fx_days[working], fx_vals[working]
    fm = fd.astype("datetime64[M]")
    for m in np.unique(fm):
        sel = fm == m
        tag = str(m)
        table = pa.table({"d": pa.array(fd[sel]), "currency": pa.array(["USD"] * int(sel.sum())),
                          "r": np.round(fv[sel] * 10000).astype(np.int64)})
        _copy(con, landing / "fx_rates" / f"fx_rates_{tag}.csv", table, "fx_rates")
        files["fx_rates"].append(f"fx_rates_{tag}.csv")
        rows["fx_rates"] += int(sel.sum())
    con.close()

    _write_config(out_dir / "config", start, scale)
    _write_plan(out_dir / "config", months, [int(day_counts[(m_first - start).days:(m_last - start).days + 1].sum())
                                             for m_first, m_last in months], scale)
    write_demo_quality_config(out_dir / "config", end)
    if copy_channel_config:
        for name in ("channels.csv", "channel_rules.csv"):
            (out_dir / "config" / name).write_bytes((DEFAULTS_DIR / name).read_bytes())

    injected = _inject_bad_rows(out_dir, files, seed) if bad_rows else []
    for b in injected:
        rows[b["entity"]] += 1
    written = [landing / e / name for e, names in files.items() for name in names]
    size = sum(p.stat().st_size for p in written + list((out_dir / "config").glob("*.csv")))
    return {
        "out_dir": str(out_dir),
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "contacts": n_total,
        "records": dict(ctx.records),        # distinct valid records per CRM entity
        "rows": rows,                        # data rows written per entity (with overlaps and bad rows)
        "files": {e: len(v) for e, v in files.items()},
        "file_names": files,
        "bytes": size,
        "bad_rows": injected,
    }


def _write_config(cfg: Path, start: date, scale: float) -> None:
    units = max(1, round(10 * scale))
    fixed = int(round(1_650_000 * units / 10, -3))
    capacity = [CAPACITY_COLUMNS,
                [start.isoformat(), str(units), "2", "8", "22", "1.5", "6", "0.7", str(fixed), "2800", "0.45",
                 "RUB"]]
    mid = date(start.year + (start.month + 5) // 12, (start.month + 5) % 12 + 1, 1)   # six months later
    fixation = [FIXATION_COLUMNS,
                ["*", start.isoformat(), "150", "RUB"],
                ["aggregators", start.isoformat(), "400", "RUB"],
                ["*", mid.isoformat(), "180", "RUB"]]
    for name, table in (("capacity.csv", capacity), ("fixation_cost.csv", fixation)):
        (cfg / name).write_bytes(("\n".join(",".join(r) for r in table) + "\n").encode("utf-8"))


_PLAN_AMBITION = 1.10      # the plan asks for 10 % more than the company's model gives


def _write_plan(cfg: Path, months, month_contacts: list[int], scale: float) -> None:
    """config/plan.csv: per month and channel, targets a little above what the company model expects
    (contacts by the channel mix, deals through each channel's membranes, revenue at its median check,
    budget from its cost items, ad budget and fixation price); lead_statuses.csv: the demo's statuses."""
    rows = [PLAN_COLUMNS]
    for (m_first, _), contacts in zip(months, month_contacts, strict=True):
        shares = _channel_shares(m_first.month)
        season = _SEASON[m_first.month - 1]
        for c, channel in enumerate(CHANNELS):
            if channel == "unknown":
                continue
            n = contacts * shares[c]
            held = n * _FIX[c] * _BOOK[c] * 0.86 * (1 - _NOSHOW[c])
            deals = held * _CLOSE[c]
            budget = sum(amount * (season if seasonal else 1.0) for ch, _, amount, active, seasonal in COST_ITEMS
                         if ch == channel and (active is None or m_first.month in active)) * scale
            budget += (_ONLINE_BUDGET * scale * season if channel == "online_ads" else 0.0)
            budget += n * _FIX[c] * (400 if channel == "aggregators" else 165)
            rows.append([m_first.isoformat(), channel, str(round(n * _PLAN_AMBITION)),
                         str(round(deals * _PLAN_AMBITION)), str(int(round(deals * _CHECK[c] * _PLAN_AMBITION, -3))),
                         str(int(round(budget, -3)))])
    statuses = [["status", "stage"], *([status, stage] for status, stage in LEAD_STAGES.items())]
    for name, table in (("plan.csv", rows), ("lead_statuses.csv", statuses)):
        (cfg / name).write_bytes(("\n".join(",".join(r) for r in table) + "\n").encode("utf-8"))
