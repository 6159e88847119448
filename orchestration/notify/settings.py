"""Who is told what: config/notifications.csv in the data folder, and the SMTP server from the environment.

    channel,address,events
    email,head.of.sales@example.com,all
    webhook,https://hooks.slack.com/services/T000/B000/XXXX,blocked_publish run_failed

Only the addresses listed there are ever contacted; no file (or a header alone) means no notification.
A mistake is one line naming the file, the line and what to fix, like the other config files."""

import csv
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

NOTIFICATIONS_FILE = "notifications.csv"
COLUMNS = ("channel", "address", "events")
CHANNELS = ("email", "webhook")
EVENTS = ("blocked_publish", "run_failed", "membrane_alert")


class NotificationSettingsError(Exception):
    """config/notifications.csv or the SMTP environment cannot be used; the message is one line."""


@dataclass(frozen=True)
class Recipient:
    channel: str  # email | webhook
    address: str  # an e-mail address or an http(s) URL
    events: frozenset[str]


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    starttls: bool
    user: str | None
    password: str | None
    sender: str


def recipients(config_dir: Path) -> list[Recipient]:
    """The recipients of config/notifications.csv (none when the file is missing)."""
    path = config_dir / NOTIFICATIONS_FILE
    if not path.exists():
        return []
    where = str(path)  # named in full, like the other config files' errors
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise NotificationSettingsError(f"{where}: cannot be read ({error})") from error
    header = [column.strip().lower() for column in rows[0]] if rows else []
    if tuple(header) != COLUMNS:
        raise NotificationSettingsError(f"{where} line 1: the header must be {','.join(COLUMNS)}")
    found, seen = [], set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(COLUMNS):
            raise NotificationSettingsError(f"{where} line {line}: expected {len(COLUMNS)} columns, found {len(row)}")
        recipient = parsed_row(*(cell.strip() for cell in row), where=f"{where} line {line}")
        if (recipient.channel, recipient.address) in seen:
            raise NotificationSettingsError(
                f"{where} line {line}: {recipient.channel} {recipient.address!r} appears twice; keep one row")
        seen.add((recipient.channel, recipient.address))
        found.append(recipient)
    return found


def parsed_row(channel: str, address: str, events: str, where: str) -> Recipient:
    channel = channel.lower()
    if channel not in CHANNELS:
        raise NotificationSettingsError(f"{where}: channel {channel!r} is not one of {', '.join(CHANNELS)}")
    if channel == "email" and not valid_email(address):
        raise NotificationSettingsError(f"{where}: address {address!r} is not an e-mail address")
    if channel == "webhook" and not valid_url(address):
        raise NotificationSettingsError(f"{where}: address {address!r} is not an http or https URL")
    named = {event.lower() for event in events.replace(",", " ").replace(";", " ").split()}
    if not named:
        raise NotificationSettingsError(f"{where}: events is empty (name {', '.join(EVENTS)}, or all)")
    if named == {"all"}:
        return Recipient(channel, address, frozenset(EVENTS))
    unknown = sorted(named - set(EVENTS))
    if unknown:
        raise NotificationSettingsError(
            f"{where}: event {unknown[0]!r} is not one of {', '.join(EVENTS)}, or all")
    return Recipient(channel, address, frozenset(named))


def valid_email(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and "." in domain.strip(".") and not any(c.isspace() for c in address))


def valid_url(address: str) -> bool:
    parts = urlsplit(address)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def smtp_server(environment=os.environ) -> SmtpServer:
    """The SMTP server from MEMBRANA_SMTP_HOST, _PORT (587), _STARTTLS (yes), _USER, _PASSWORD, _FROM (the
    user); credentials come from the environment only, never from the data folder."""
    host = (environment.get("MEMBRANA_SMTP_HOST") or "").strip()
    if not host:
        raise NotificationSettingsError("e-mail recipients are configured but MEMBRANA_SMTP_HOST is not set")
    port_text = (environment.get("MEMBRANA_SMTP_PORT") or "587").strip()
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise NotificationSettingsError(f"MEMBRANA_SMTP_PORT {port_text!r} is not a port number")
    starttls_text = (environment.get("MEMBRANA_SMTP_STARTTLS") or "yes").strip().lower()
    if starttls_text not in ("yes", "true", "1", "no", "false", "0"):
        raise NotificationSettingsError(f"MEMBRANA_SMTP_STARTTLS {starttls_text!r} is not yes or no")
    user = environment.get("MEMBRANA_SMTP_USER") or None
    sender = environment.get("MEMBRANA_SMTP_FROM") or user
    if not sender or not valid_email(sender):
        raise NotificationSettingsError(
            "set MEMBRANA_SMTP_FROM (or MEMBRANA_SMTP_USER) to the e-mail address the notifications come from")
    return SmtpServer(host, int(port_text), starttls_text in ("yes", "true", "1"), user,
                      environment.get("MEMBRANA_SMTP_PASSWORD") or None, sender)
