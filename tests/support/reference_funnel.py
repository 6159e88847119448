"""An independent, plain-Python computation of marts.funnel_daily and marts.kpi_monthly.

It follows CONTRACT.md and docs/row_rules.md line by line and shares no code with orchestration/ or the
dbt project (csv, decimal and datetime only; no pandas, no DuckDB, no SQL), so that the end-to-end
test compares two implementations of the contract rather than one implementation with itself.

It reads canonical CSV exports only (landing/<entity>/*.csv or *.csv.gz) and refuses other formats
rather than silently skipping rows. Where the contract leaves a configuration case undefined it raises
ValueError instead of guessing.
"""

from __future__ import annotations

import csv
import gzip
import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

COUNT_COLUMNS = (
    "incoming_contacts",
    "fixed_leads",
    "meetings_booked",
    "meetings_held",
    "no_shows",
    "deals_won",
    "deals_without_lead",
)
MONEY_COLUMNS = ("revenue", "revenue_without_lead", "ad_spend", "other_costs", "fixation_cost", "acquisition_cost")
FUNNEL_COLUMNS = COUNT_COLUMNS + MONEY_COLUMNS
RATIO_COLUMNS = (
    "cost_per_contact",
    "fixation_rate",
    "booking_rate",
    "no_show_rate",
    "closing_rate",
    "conversion_rate",
    "average_check",
    "cost_per_deal",
    "romi",
)
MEETING_STATUSES = {"planned", "held", "no_show", "cancelled", "rescheduled"}
DEAL_STATUSES = {"open", "won", "lost"}
UNKNOWN_CHANNEL = "unknown"
EVERY_CHANNEL = "*"

TIMESTAMP_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}:\d{2})?")
DATE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")
DECIMAL_FORMAT = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)")
CURRENCY_FORMAT = re.compile(r"[A-Z]{3}")

FunnelKey = tuple[date, str]
Funnel = dict[FunnelKey, dict[str, Decimal | int]]


class Quarantined(Exception):
    """A landing row that cannot be used; the message is the reason."""


# ---------------------------------------------------------------- reading files


@dataclass(frozen=True)
class SourceRow:
    values: dict[str, str | None]
    file_name: str
    row_number: int

    def get(self, column: str) -> str | None:
        return self.values.get(column)


def read_landing(data_dir: Path, entity: str) -> Iterator[SourceRow]:
    folder = data_dir / "landing" / entity
    if not folder.is_dir():
        return
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.startswith("."):
            continue
        for row_number, values in enumerate(read_csv(path), start=1):
            yield SourceRow(values, path.name, row_number)


def read_csv(path: Path) -> list[dict[str, str | None]]:
    if path.name.endswith(".csv"):
        opener = open
    elif path.name.endswith(".csv.gz"):
        opener = gzip.open
    else:
        raise ValueError(f"the reference reads only .csv/.csv.gz landing files, not {path}")
    with opener(path, "rt", encoding="utf-8-sig", newline="") as file:
        return [normalise(raw) for raw in csv.DictReader(file)]


def normalise(raw: dict) -> dict[str, str | None]:
    """Trimmed values, empty = NULL; extra unnamed fields (key None) are ignored."""
    return {
        key.strip().lower(): (value or "").strip() or None for key, value in raw.items() if key is not None
    }


def read_config(data_dir: Path, defaults_dir: Path, name: str) -> list[dict[str, str | None]]:
    own = data_dir / "config" / f"{name}.csv"
    return read_csv(own if own.exists() else defaults_dir / f"{name}.csv")


# ---------------------------------------------------------------- parsing values


def required(row: SourceRow, column: str) -> str:
    value = row.get(column)
    if value is None:
        raise Quarantined(f"{column} is empty")
    return value


def parse_timestamp(value: str | None, column: str) -> datetime | None:
    if value is None:
        return None
    try:
        if TIMESTAMP_FORMAT.fullmatch(value):
            return datetime.fromisoformat(value)
    except ValueError:
        pass
    raise Quarantined(f"{column} is not a timestamp: {value!r}")


def parse_date(value: str | None, column: str) -> date | None:
    if value is None:
        return None
    try:
        if DATE_FORMAT.fullmatch(value):
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise Quarantined(f"{column} is not a date: {value!r}")


def parse_decimal(value: str | None, column: str) -> Decimal | None:
    if value is None:
        return None
    if not DECIMAL_FORMAT.fullmatch(value):
        raise Quarantined(f"{column} is not a decimal: {value!r}")
    return Decimal(value)


def parse_non_negative(value: str | None, column: str) -> Decimal | None:
    number = parse_decimal(value, column)
    if number is not None and number < 0:
        raise Quarantined(f"{column} is negative: {value}")
    return number


def parse_currency(value: str | None) -> str | None:
    if value is None:
        return None
    currency = value.upper()
    if not CURRENCY_FORMAT.fullmatch(currency):
        raise Quarantined(f"currency is not an ISO 4217 code: {value!r}")
    return currency


def parse_count(value: str | None, column: str) -> int | None:
    """Impressions and clicks: a whole number >= 0 when given."""
    number = parse_non_negative(value, column)
    if number is not None and number != number.to_integral_value():
        raise Quarantined(f"{column} is not a whole number: {value!r}")
    return number


def parse_status(value: str, allowed: set[str]) -> str:
    status = value.lower()
    if status not in allowed:
        raise Quarantined(f"status is not one of {sorted(allowed)}: {value!r}")
    return status


def client_key(value: str | None) -> str | None:
    """A phone as +digits (a Russian 11-digit number starting with 8 as +7…), an e-mail lowercased.

    The warehouse compares hashes of this same normal form; comparing the normal forms is equivalent."""
    if value is None:
        return None
    if "@" in value:
        return value.lower()
    digits = re.sub(r"[^0-9]", "", value)
    if len(digits) == 11 and digits.startswith("8"):
        return "+7" + digits[1:]
    if len(digits) >= 7:
        return "+" + digits
    return value.lower()


def lowered(value: str | None) -> str:
    return (value or "").lower()


def day_of(moment: datetime | None) -> date | None:
    return moment.date() if moment else None


def days_between(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


# ---------------------------------------------------------------- currency


class ExchangeRates:
    """Latest rate on or before a day; the base currency is always 1."""

    def __init__(self, base_currency: str, rates: dict[tuple[date, str], Decimal]):
        self.base_currency = base_currency
        self._history: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        for (day, currency), rate in sorted(rates.items()):
            self._history[currency].append((day, rate))

    def rate_on(self, currency: str, day: date) -> Decimal | None:
        if currency == self.base_currency:
            return Decimal(1)
        history = self._history.get(currency, [])
        position = bisect_right(history, day, key=lambda entry: entry[0])
        return history[position - 1][1] if position else None

    def require_rate(self, currency: str, day: date, what: str) -> Decimal:
        rate = self.rate_on(currency, day)
        if rate is None:
            raise Quarantined(f"{what} in {currency} has no fx rate on or before {day}")
        return rate

    def to_base(self, amount: Decimal, currency: str, day: date) -> Decimal:
        return amount * self.require_rate(currency, day, "money")


# ---------------------------------------------------------------- channel rules


def like_pattern(pattern: str) -> re.Pattern:
    """SQL LIKE without an escape character: % = any run, _ = any one character."""
    translated = "".join(".*" if char == "%" else "." if char == "_" else re.escape(char) for char in pattern)
    return re.compile(translated, re.DOTALL)


@dataclass(frozen=True)
class ChannelRule:
    priority: Decimal
    file_order: int
    patterns: tuple[re.Pattern | None, ...]  # source, medium, campaign; None = empty pattern = anything
    channel: str

    def matches(self, values: tuple[str, str, str]) -> bool:
        return all(
            pattern is None or pattern.fullmatch(value) for pattern, value in zip(self.patterns, values)
        )


class ChannelRules:
    def __init__(self, rows: list[dict[str, str | None]]):
        rules = [self._rule(row, order) for order, row in enumerate(rows)]
        # Equal priorities are not defined by the contract: the earlier row in the file wins.
        self._rules = sorted(rules, key=lambda rule: (rule.priority, rule.file_order))

    @staticmethod
    def _rule(row: dict[str, str | None], order: int) -> ChannelRule:
        if row.get("priority") is None or row.get("channel") is None:
            raise ValueError(f"channel_rules.csv row {order + 1} lacks priority or channel")
        patterns = tuple(
            like_pattern(lowered(row.get(column))) if row.get(column) else None
            for column in ("source", "medium", "campaign")
        )
        return ChannelRule(Decimal(row["priority"]), order, patterns, row["channel"])

    def channel_for(self, source: str | None, medium: str | None, campaign: str | None) -> str:
        values = (lowered(source), lowered(medium), lowered(campaign))
        return next((rule.channel for rule in self._rules if rule.matches(values)), UNKNOWN_CHANNEL)


# ---------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Capacity:
    effective_from: date
    gross_margin: Decimal | None


def read_capacity(data_dir: Path, defaults_dir: Path) -> tuple[str, list[Capacity]]:
    rows = read_config(data_dir, defaults_dir, "capacity")
    if not rows or not rows[0].get("base_currency"):
        raise ValueError("capacity.csv has no base_currency in its first row")
    base_currency = rows[0]["base_currency"].upper()
    history = sorted(map(capacity_from, rows), key=lambda capacity: capacity.effective_from)
    return base_currency, history


def capacity_from(row: dict[str, str | None]) -> Capacity:
    return Capacity(
        date.fromisoformat(row["effective_from"]), parse_optional_decimal(row.get("gross_margin"))
    )


def parse_optional_decimal(value: str | None) -> Decimal | None:
    try:
        return Decimal(value) if value is not None else None
    except InvalidOperation:
        raise ValueError(f"not a decimal in config: {value!r}") from None


def gross_margin_on(history: list[Capacity], day: date) -> Decimal | None:
    applicable = [capacity for capacity in history if capacity.effective_from <= day]
    return applicable[-1].gross_margin if applicable else None


class FixationPrices:
    """cost_per_fixed_lead in the base currency, converted at the rate of its effective_from day."""

    def __init__(self, rows: list[dict[str, str | None]], rates: ExchangeRates):
        self._history: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
        for row in rows:
            channel, effective_from = row["channel"], date.fromisoformat(row["effective_from"])
            if any(day == effective_from for day, _ in self._history[channel]):
                raise ValueError(f"fixation_cost.csv repeats channel {channel} from {effective_from}")
            self._history[channel].append((effective_from, self._price_in_base(row, effective_from, rates)))
        for history in self._history.values():
            history.sort()

    @staticmethod
    def _price_in_base(row: dict[str, str | None], effective_from: date, rates: ExchangeRates) -> Decimal:
        currency = (row.get("currency") or rates.base_currency).upper()
        rate = rates.rate_on(currency, effective_from)
        if rate is None:
            raise ValueError(f"fixation_cost.csv: no {currency} rate on or before {effective_from}")
        return Decimal(row["cost_per_fixed_lead"]) * rate

    def price_on(self, channel: str, day: date) -> Decimal:
        # A channel's own price beats '*' even when the '*' row is newer.
        for key in (channel, EVERY_CHANNEL):
            applicable = [
                price for effective_from, price in self._history.get(key, []) if effective_from <= day
            ]
            if applicable:
                return applicable[-1]
        return Decimal(0)


# ---------------------------------------------------------------- validation of landing rows


def parse_fx_rate(row: SourceRow) -> dict:
    rate = parse_decimal(required(row, "rate_to_base"), "rate_to_base")
    if rate <= 0:
        raise Quarantined(f"rate_to_base is not positive: {rate}")
    return {
        "date": parse_date(required(row, "date"), "date"),
        "currency": parse_currency(required(row, "currency")),
        "rate_to_base": rate,
        "updated_at": parse_timestamp(row.get("updated_at"), "updated_at"),
    }


def parse_contact(row: SourceRow) -> dict:
    return {
        "contact_id": required(row, "contact_id"),
        "received_at": parse_timestamp(required(row, "received_at"), "received_at"),
        "source": required(row, "source"),
        "medium": row.get("medium"),
        "campaign": row.get("campaign"),
        "lead_id": row.get("lead_id"),
        "contact_type": row.get("contact_type"),
        "client_key": client_key(row.get("client_key")),
        "updated_at": parse_timestamp(row.get("updated_at"), "updated_at"),
    }


def parse_lead(row: SourceRow) -> dict:
    return {
        "lead_id": required(row, "lead_id"),
        "created_at": parse_timestamp(required(row, "created_at"), "created_at"),
        "client_key": client_key(row.get("client_key")),
        "source": row.get("source"),
        "medium": row.get("medium"),
        "campaign": row.get("campaign"),
        "updated_at": parse_timestamp(row.get("updated_at"), "updated_at"),
    }


def parse_meeting(row: SourceRow) -> dict:
    meeting = {
        "meeting_id": required(row, "meeting_id"),
        "lead_id": required(row, "lead_id"),
        "booked_at": parse_timestamp(required(row, "booked_at"), "booked_at"),
        "status": parse_status(required(row, "status"), MEETING_STATUSES),
        "scheduled_at": parse_timestamp(row.get("scheduled_at"), "scheduled_at"),
        "updated_at": parse_timestamp(row.get("updated_at"), "updated_at"),
    }
    if meeting["status"] in ("held", "no_show") and meeting["scheduled_at"] is None:
        raise Quarantined(f"a {meeting['status']} meeting has no scheduled_at")
    return meeting


def parse_deal(row: SourceRow, rates: ExchangeRates) -> dict:
    deal = {
        "deal_id": required(row, "deal_id"),
        "lead_id": row.get("lead_id"),
        "created_at": parse_timestamp(required(row, "created_at"), "created_at"),
        "status": parse_status(required(row, "status"), DEAL_STATUSES),
        "closed_at": parse_timestamp(row.get("closed_at"), "closed_at"),
        "amount": parse_non_negative(row.get("amount"), "amount"),
        "currency": parse_currency(row.get("currency")) or rates.base_currency,
        "updated_at": parse_timestamp(row.get("updated_at"), "updated_at"),
    }
    if deal["status"] == "won":
        if deal["amount"] is None or deal["closed_at"] is None:
            raise Quarantined("a won deal needs amount and closed_at")
        rates.require_rate(deal["currency"], deal["closed_at"].date(), "a won deal")
    return deal


def parse_ad_spend(row: SourceRow, rates: ExchangeRates) -> dict:
    spend = {
        "date": parse_date(required(row, "date"), "date"),
        "platform": required(row, "platform"),
        "source": row.get("source"),
        "medium": row.get("medium"),
        "campaign": row.get("campaign"),
        "cost": parse_non_negative(required(row, "cost"), "cost"),
        "currency": parse_currency(required(row, "currency")),
        "impressions": parse_count(row.get("impressions"), "impressions"),
        "clicks": parse_count(row.get("clicks"), "clicks"),
    }
    rates.require_rate(spend["currency"], spend["date"], "ad spend")
    return spend


def parse_cost(row: SourceRow, rates: ExchangeRates) -> dict:
    cost = {
        "period_start": parse_date(required(row, "period_start"), "period_start"),
        "period_end": parse_date(required(row, "period_end"), "period_end"),
        "channel": required(row, "channel").lower(),
        "amount": parse_non_negative(required(row, "amount"), "amount"),
        "currency": parse_currency(required(row, "currency")),
    }
    if cost["period_end"] < cost["period_start"]:
        raise Quarantined("period_end is before period_start")
    rates.require_rate(cost["currency"], cost["period_start"], "a cost")
    return cost


def valid_rows(data_dir: Path, entity: str, parse: Callable[[SourceRow], dict]) -> list[dict]:
    """Parsed rows that pass validation, each remembering where it came from (for dedup order)."""
    parsed = []
    for row in read_landing(data_dir, entity):
        try:
            record = parse(row)
        except Quarantined:
            continue
        parsed.append({**record, "_file": row.file_name, "_row": row.row_number, "_values": row.values})
    return parsed


def without_conflicting_versions(records: list[dict], key: Callable[[dict], object]) -> list[dict]:
    """Drops (quarantines) every version of a record whose file holds another line with the same key and
    the same non-empty updated_at but different values: the file contradicts itself."""
    values_seen: dict[tuple, set] = defaultdict(set)
    for record in records:
        if record["updated_at"] is not None:
            version = (key(record), record["updated_at"], record["_file"])
            values_seen[version].add(tuple(sorted(record["_values"].items(), key=lambda item: item[0])))
    return [
        record for record in records
        if record["updated_at"] is None
        or len(values_seen[(key(record), record["updated_at"], record["_file"])]) == 1
    ]


def current_versions(records: list[dict], key: Callable[[dict], object]) -> list[dict]:
    return latest_versions(without_conflicting_versions(records, key), key)


def latest_versions(records: list[dict], key: Callable[[dict], object]) -> list[dict]:
    def version(record: dict) -> tuple:
        # Missing updated_at is the oldest; ties go to the later file, then the later row.
        updated_at = record["updated_at"]
        return (updated_at is not None, updated_at or datetime.min, record["_file"], record["_row"])

    winners: dict[object, dict] = {}
    for record in records:
        current = winners.get(key(record))
        if current is None or version(record) > version(current):
            winners[key(record)] = record
    return list(winners.values())


def by_column(column: str) -> Callable[[dict], object]:
    return lambda record: record[column]


# ---------------------------------------------------------------- the funnel


class FunnelBuilder:
    def __init__(self) -> None:
        self.rows: Funnel = {}

    def add(self, day: date, channel: str, column: str, value: Decimal | int = 1) -> None:
        row = self.rows.setdefault((day, channel), empty_funnel_row())
        row[column] += value

    def finish(self, prices: FixationPrices) -> Funnel:
        for (day, channel), row in self.rows.items():
            row["fixation_cost"] = row["fixed_leads"] * prices.price_on(channel, day)
            row["acquisition_cost"] = row["ad_spend"] + row["other_costs"] + row["fixation_cost"]
        return self.rows


def empty_funnel_row() -> dict[str, Decimal | int]:
    return {**{column: 0 for column in COUNT_COLUMNS}, **{column: Decimal(0) for column in MONEY_COLUMNS}}


def earliest_contacts_by_lead(contacts: list[dict]) -> dict[str, dict]:
    earliest: dict[str, dict] = {}
    for contact in contacts:
        lead_id = contact["lead_id"]
        if lead_id is None:
            continue
        current = earliest.get(lead_id)
        order = (contact["received_at"], contact["contact_id"])
        if current is None or order < (current["received_at"], current["contact_id"]):
            earliest[lead_id] = contact
    return earliest


def channel_of(record: dict, rules: ChannelRules) -> str:
    return rules.channel_for(record["source"], record["medium"], record["campaign"])


@dataclass(frozen=True)
class LinkingRule:
    source: re.Pattern | None  # None = empty pattern = anything
    contact_type: re.Pattern | None
    window: timedelta


def read_linking_rules(data_dir: Path, defaults_dir: Path) -> list[LinkingRule]:
    """No contact_linking.csv anywhere (an older defaults folder) links nothing, like an empty one."""
    if not any((folder / "contact_linking.csv").exists() for folder in (data_dir / "config", defaults_dir)):
        return []
    return [
        LinkingRule(
            like_pattern(lowered(row["source"])) if row.get("source") else None,
            like_pattern(lowered(row["contact_type"])) if row.get("contact_type") else None,
            timedelta(days=int(row.get("link_window_days") or 3)),
        )
        for row in read_config(data_dir, defaults_dir, "contact_linking")
    ]


def link_contacts_by_client_key(contacts: list[dict], leads: list[dict], rules: list[LinkingRule]) -> list[dict]:
    """Contacts without a lead_id that a rule covers get the earliest lead (then the smallest lead_id) with
    the same client key created from the contact's moment to the end of the longest matching window."""
    leads_by_key: dict[str, list[dict]] = defaultdict(list)
    for lead in leads:
        if lead["client_key"] is not None:
            leads_by_key[lead["client_key"]].append(lead)
    linked = []
    for contact in contacts:
        windows = [
            rule.window for rule in rules
            if (rule.source is None or rule.source.fullmatch(lowered(contact["source"])))
            and (rule.contact_type is None or rule.contact_type.fullmatch(lowered(contact["contact_type"])))
        ]
        if contact["lead_id"] is None and contact["client_key"] is not None and windows:
            start, end = contact["received_at"], contact["received_at"] + max(windows)
            in_window = [lead for lead in leads_by_key[contact["client_key"]] if start <= lead["created_at"] <= end]
            if in_window:
                earliest = min(in_window, key=lambda lead: (lead["created_at"], lead["lead_id"]))
                contact = {**contact, "lead_id": earliest["lead_id"]}
        linked.append(contact)
    return linked


def add_contacts_and_leads(
    funnel: FunnelBuilder, contacts: list[dict], leads: list[dict], rules: ChannelRules
) -> dict[str, str]:
    """Counts contacts, fixed leads and contact-less leads; returns each lead's channel.

    `contacts` carry the lead they are linked to, recorded or by client key."""
    for contact in contacts:
        funnel.add(contact["received_at"].date(), channel_of(contact, rules), "incoming_contacts")
    earliest_contact = earliest_contacts_by_lead(contacts)
    lead_channels = {}
    for lead in leads:
        linked = earliest_contact.get(lead["lead_id"])
        channel = channel_of(linked or lead, rules)
        lead_channels[lead["lead_id"]] = channel
        funnel.add(lead["created_at"].date(), channel, "fixed_leads")
        if linked is None:
            funnel.add(lead["created_at"].date(), channel, "incoming_contacts")
    return lead_channels


def add_meetings(funnel: FunnelBuilder, meetings: list[dict], lead_channels: dict[str, str]) -> None:
    for meeting in meetings:
        channel = lead_channels.get(meeting["lead_id"], UNKNOWN_CHANNEL)
        funnel.add(meeting["booked_at"].date(), channel, "meetings_booked")
        if meeting["status"] == "held":
            funnel.add(meeting["scheduled_at"].date(), channel, "meetings_held")
        elif meeting["status"] == "no_show":
            funnel.add(meeting["scheduled_at"].date(), channel, "no_shows")


def add_won_deals(
    funnel: FunnelBuilder, deals: list[dict], lead_channels: dict[str, str], rates: ExchangeRates
) -> None:
    for deal in deals:
        if deal["status"] != "won":
            continue
        day = deal["closed_at"].date()
        traced = deal["lead_id"] in lead_channels
        channel = lead_channels[deal["lead_id"]] if traced else UNKNOWN_CHANNEL
        revenue = rates.to_base(deal["amount"], deal["currency"], day)
        funnel.add(day, channel, "deals_won")
        funnel.add(day, channel, "revenue", revenue)
        if not traced:  # no lead, or a lead id that names no lead: in the totals, apart from the rates
            funnel.add(day, channel, "deals_without_lead")
            funnel.add(day, channel, "revenue_without_lead", revenue)


def add_ad_spend(
    funnel: FunnelBuilder, spends: list[dict], rules: ChannelRules, rates: ExchangeRates
) -> None:
    for spend in spends:
        channel = rules.channel_for(spend["source"] or spend["platform"], spend["medium"], spend["campaign"])
        funnel.add(
            spend["date"], channel, "ad_spend", rates.to_base(spend["cost"], spend["currency"], spend["date"])
        )


def add_other_costs(funnel: FunnelBuilder, costs: list[dict], rates: ExchangeRates) -> None:
    for cost in costs:
        days = days_between(cost["period_start"], cost["period_end"])
        daily_amount = cost["amount"] / len(days)
        for day in days:
            funnel.add(
                day, cost["channel"], "other_costs", rates.to_base(daily_amount, cost["currency"], day)
            )


def load_exchange_rates(data_dir: Path, base_currency: str) -> ExchangeRates:
    fx_rows = latest_versions(
        valid_rows(data_dir, "fx_rates", parse_fx_rate), lambda r: (r["date"], r["currency"])
    )
    return ExchangeRates(
        base_currency, {(row["date"], row["currency"]): row["rate_to_base"] for row in fx_rows}
    )


def reference_funnel_daily(data_dir: Path, defaults_dir: Path) -> Funnel:
    """funnel_daily as {(date, channel): {column: int | Decimal}}; money in the base currency, unrounded.

    A (date, channel) row exists when at least one valid record lands on it, even if its values are 0.
    """
    data_dir, defaults_dir = Path(data_dir), Path(defaults_dir)
    base_currency, _ = read_capacity(data_dir, defaults_dir)
    rates = load_exchange_rates(data_dir, base_currency)
    rules = ChannelRules(read_config(data_dir, defaults_dir, "channel_rules"))
    prices = FixationPrices(read_config(data_dir, defaults_dir, "fixation_cost"), rates)

    contacts = current_versions(valid_rows(data_dir, "contacts", parse_contact), by_column("contact_id"))
    leads = current_versions(valid_rows(data_dir, "leads", parse_lead), by_column("lead_id"))
    meetings = current_versions(valid_rows(data_dir, "meetings", parse_meeting), by_column("meeting_id"))
    deals = current_versions(
        valid_rows(data_dir, "deals", lambda row: parse_deal(row, rates)), by_column("deal_id")
    )
    spends = valid_rows(data_dir, "ad_spend", lambda row: parse_ad_spend(row, rates))
    costs = valid_rows(data_dir, "costs", lambda row: parse_cost(row, rates))

    contacts = link_contacts_by_client_key(contacts, leads, read_linking_rules(data_dir, defaults_dir))

    funnel = FunnelBuilder()
    lead_channels = add_contacts_and_leads(funnel, contacts, leads, rules)
    add_meetings(funnel, meetings, lead_channels)
    add_won_deals(funnel, deals, lead_channels, rates)
    add_ad_spend(funnel, spends, rules, rates)
    add_other_costs(funnel, costs, rates)
    return funnel.finish(prices)


# ---------------------------------------------------------------- kpi_monthly


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    return None if denominator == 0 else Decimal(numerator) / Decimal(denominator)


def monthly_sums(funnel: Funnel) -> Funnel:
    months: Funnel = {}
    for (day, channel), row in funnel.items():
        month = months.setdefault((day.replace(day=1), channel), empty_funnel_row())
        for column in FUNNEL_COLUMNS:
            month[column] += row[column]
    return months


def kpi_ratios(sums: dict[str, Decimal | int], gross_margin: Decimal | None) -> dict[str, Decimal | None]:
    cost = sums["acquisition_cost"]
    # the deals a lead traces: the only ones that passed the channel's membranes
    traced_deals = sums["deals_won"] - sums["deals_without_lead"]
    romi = None if gross_margin is None else ratio(sums["revenue"] * gross_margin - cost, cost)
    return {
        "cost_per_contact": ratio(cost, sums["fixed_leads"]),
        "fixation_rate": ratio(sums["fixed_leads"], sums["incoming_contacts"]),
        "booking_rate": ratio(sums["meetings_booked"], sums["incoming_contacts"]),
        "no_show_rate": ratio(sums["no_shows"], sums["meetings_booked"]),
        "closing_rate": ratio(traced_deals, sums["meetings_held"]),
        "conversion_rate": ratio(traced_deals, sums["fixed_leads"]),
        "average_check": ratio(sums["revenue"], sums["deals_won"]),
        "cost_per_deal": ratio(cost, sums["deals_won"]),
        "romi": romi,
    }


def reference_kpi_monthly(
    funnel: Funnel, data_dir: Path, defaults_dir: Path
) -> dict[FunnelKey, dict[str, Decimal | int | None]]:
    """kpi_monthly as {(first day of month, channel): {column: value}}; a ratio over 0 is None.

    romi uses the gross_margin of the capacity.csv row in force on the first day of the month.
    """
    _, capacity_history = read_capacity(Path(data_dir), Path(defaults_dir))
    return {
        (month, channel): {**sums, **kpi_ratios(sums, gross_margin_on(capacity_history, month))}
        for (month, channel), sums in monthly_sums(funnel).items()
    }
