"""config/notifications.csv and the SMTP environment: what is read, and one line for each mistake."""

from datetime import date
from pathlib import Path

import pytest

from orchestration.data_folder import DataFolder
from orchestration.notify.events import WORDS, Event, message
from orchestration.notify.night import notify_night
from orchestration.notify.settings import (
    NotificationSettingsError,
    Recipient,
    recipients,
    smtp_server,
)

HEADER = "channel,address,events\n"


def written(tmp_path: Path, text: str) -> Path:
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "notifications.csv").write_text(text)
    return config


def test_no_file_or_a_header_alone_means_nobody_is_told(tmp_path):
    assert recipients(tmp_path / "config") == []
    assert recipients(written(tmp_path, HEADER)) == []


def test_recipients_with_their_events(tmp_path):
    config = written(tmp_path, HEADER + "email,boss@example.com,all\n"
                     " Webhook , https://chat.example.com/hooks/abc , blocked_publish run_failed\n\n")
    assert recipients(config) == [
        Recipient("email", "boss@example.com", frozenset({"blocked_publish", "run_failed", "membrane_alert"})),
        Recipient("webhook", "https://chat.example.com/hooks/abc", frozenset({"blocked_publish", "run_failed"})),
    ]


@pytest.mark.parametrize("text, problem", [
    ("channel,to,events\n", "line 1: the header must be channel,address,events"),
    (HEADER + "sms,+70000000000,all\n", "line 2: channel 'sms' is not one of email, webhook"),
    (HEADER + "email,boss-at-example.com,all\n", "line 2: address 'boss-at-example.com' is not an e-mail address"),
    (HEADER + "webhook,ftp://example.com/x,all\n", "line 2: address 'ftp://example.com/x' is not an http or https URL"),
    (HEADER + "email,boss@example.com,\n", ("line 2: events is empty (name blocked_publish, run_failed, "
     "membrane_alert, or all)")),
    (HEADER + "email,boss@example.com,run_failed sales_drop\n", ("line 2: event 'sales_drop' is not one of "
     "blocked_publish, run_failed, membrane_alert, or all")),
    (HEADER + "email,boss@example.com\n", "line 2: expected 3 columns, found 2"),
    (HEADER + "email,boss@example.com,all\nemail,boss@example.com,run_failed\n",
     "line 3: email 'boss@example.com' appears twice; keep one row"),
])
def test_a_mistake_is_one_line_naming_the_file_and_the_line(tmp_path, text, problem):
    config = written(tmp_path, text)
    with pytest.raises(NotificationSettingsError) as refused:
        recipients(config)
    assert str(refused.value) == f"{config / 'notifications.csv'} {problem}"


def test_the_smtp_server_comes_from_the_environment():
    server = smtp_server({"MEMBRANA_SMTP_HOST": "mail.example.com", "MEMBRANA_SMTP_USER": "bot@example.com",
                          "MEMBRANA_SMTP_PASSWORD": "pw"})
    assert (server.host, server.port, server.starttls, server.user, server.password, server.sender) == (
        "mail.example.com", 587, True, "bot@example.com", "pw", "bot@example.com")
    server = smtp_server({"MEMBRANA_SMTP_HOST": "127.0.0.1", "MEMBRANA_SMTP_PORT": "2525",
                          "MEMBRANA_SMTP_STARTTLS": "no", "MEMBRANA_SMTP_FROM": "membrana@example.com"})
    assert (server.port, server.starttls, server.user, server.sender) == (2525, False, None, "membrana@example.com")


@pytest.mark.parametrize("environment, problem", [
    ({}, "e-mail recipients are configured but MEMBRANA_SMTP_HOST is not set"),
    ({"MEMBRANA_SMTP_HOST": "h", "MEMBRANA_SMTP_PORT": "smtp", "MEMBRANA_SMTP_FROM": "a@b.c"},
     "MEMBRANA_SMTP_PORT 'smtp' is not a port number"),
    ({"MEMBRANA_SMTP_HOST": "h", "MEMBRANA_SMTP_STARTTLS": "maybe", "MEMBRANA_SMTP_FROM": "a@b.c"},
     "MEMBRANA_SMTP_STARTTLS 'maybe' is not yes or no"),
    ({"MEMBRANA_SMTP_HOST": "h"}, ("set MEMBRANA_SMTP_FROM (or MEMBRANA_SMTP_USER) to the e-mail address the "
     "notifications come from")),
])
def test_an_unusable_smtp_setting_is_one_line(environment, problem):
    with pytest.raises(NotificationSettingsError) as refused:
        smtp_server(environment)
    assert str(refused.value) == problem


def test_a_message_in_english_lists_every_event_it_tells():
    events = [Event("membrane_alert", "k1", "closing one"), Event("membrane_alert", "k2", "booking two")]
    told = message("membrane_alert", events, "acme", Path("/srv/acme/logs/run_report.md"), "en")
    assert told.subject == "membrana · acme: membranes outside their control limits: 2"
    assert told.text.splitlines() == [WORDS["en"]["alerts_body"], "- closing one", "- booking two", "",
                                      "Details: /srv/acme/logs/run_report.md"]


def test_a_bad_notifications_file_is_a_warning_and_nothing_is_sent(tmp_path):
    folder = DataFolder(tmp_path)
    written(tmp_path, HEADER + "pager,123,all\n")
    report = {"status": "failed", "run_id": "r1", "run_date": date(2026, 11, 1).isoformat(), "reason": "x",
              "published": {"snapshot_written_at": None}}
    told = notify_night(folder, report)
    assert told == {"sent": [], "warnings": [
        (f"no notification sent: {folder.config / 'notifications.csv'} line 2: channel 'pager' is not one of "
        "email, webhook")]}
    assert not (folder.logs / "notifications_sent.jsonl").exists()
