"""Telling the configured people what a night did: called with the night's run report, after the publish.

Each event reaches each recipient once: what was sent is appended to logs/notifications_sent.jsonl, and an
event already told to a recipient is not told again (a membrane alert stays in marts.alerts night after
night until its period passes). A message that could not be delivered is a warning of the run report and
is tried again by the next run; it never fails the night."""

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from orchestration.data_folder import DEFAULT_CONFIG_DIR, DataFolder
from orchestration.notify.delivery import DeliveryError, post_webhook, send_email
from orchestration.notify.events import Event, message, night_events
from orchestration.notify.settings import (
    EVENTS,
    NotificationSettingsError,
    Recipient,
    recipients,
    smtp_server,
)
from orchestration.publish.dashboard import dashboard_language

SENT_LOG = "notifications_sent.jsonl"


def notify_night(folder: DataFolder, report: dict) -> dict:
    """Sends what the night has to tell; returns {"sent": [...], "warnings": [...]} for the run report."""
    try:
        wanted = recipients(folder.config)
    except NotificationSettingsError as error:
        return {"sent": [], "warnings": [f"no notification sent: {error}"]}
    if not wanted:
        return {"sent": [], "warnings": []}
    try:
        language = dashboard_language(folder.config, DEFAULT_CONFIG_DIR)
    except ValueError:
        language = "en"  # the dashboard reports its own setting's mistake
    events = night_events(report, folder.published, language)
    log = folder.logs / SENT_LOG
    told = already_told(log)
    sent, warnings = [], []
    smtp = None
    if any(recipient.channel == "email" for recipient in wanted) and events:
        try:
            smtp = smtp_server()
        except NotificationSettingsError as error:
            warnings.append(f"no e-mail sent: {error}")
    for recipient in wanted:
        for kind in EVENTS:
            new = [event for event in events if event.kind == kind and kind in recipient.events
                   and (recipient.channel, recipient.address, event.key) not in told]
            if not new or (recipient.channel == "email" and smtp is None):
                continue
            text = message(kind, new, folder.root.name, folder.logs / "run_report.md", language)
            try:
                if recipient.channel == "email":
                    send_email(smtp, recipient.address, text)
                else:
                    post_webhook(recipient.address, text)
            except DeliveryError as error:
                warnings.append(redacted_text(str(error), recipient))
                continue
            record_sent(log, recipient, kind, text.subject, new)
            sent.append({"channel": recipient.channel, "to": shown_address(recipient), "event": kind,
                         "subject": text.subject, "events": len(new)})
    return {"sent": sent, "warnings": warnings}


def already_told(log: Path) -> set[tuple[str, str, str]]:
    """(channel, address, event key) of every message sent so far."""
    if not log.exists():
        return set()
    told = set()
    for line in log.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut short by a crash: at worst that message is sent again
        told.update((entry["channel"], entry["address"], key) for key in entry["event_keys"])
    return told


def record_sent(log: Path, recipient: Recipient, kind: str, subject: str, events: list[Event]) -> None:
    entry = {"sent_at": datetime.now(UTC).isoformat(timespec="seconds"), "channel": recipient.channel,
             "address": recipient.address, "event": kind, "subject": subject,
             "event_keys": [event.key for event in events]}
    log.parent.mkdir(exist_ok=True)
    with open(log, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, ensure_ascii=False) + "\n")


def shown_address(recipient: Recipient) -> str:
    """A webhook URL's path is its secret (Slack, Teams): the run report and the console show its host only."""
    if recipient.channel == "email":
        return recipient.address
    parts = urlsplit(recipient.address)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.path not in ("", "/") or parts.query else recipient.address


def redacted_text(text: str, recipient: Recipient) -> str:
    return text.replace(recipient.address, shown_address(recipient))
