"""Alerts that reach people, through real servers on 127.0.0.1: an SMTP server (aiosmtpd) and an HTTP server
taking the webhook's POST. A small company in Russian runs four nights: a clean one (its membrane alerts are
told), the same night again (nothing told twice), a blocked one and a failed one. A third recipient's server
is not listening: a warning of every night's report, never a failed night."""

import json

import duckdb
import pytest

from orchestration.data_folder import DataFolder
from orchestration.demo.company import generate_company
from tests.support.membrana import failure, run_membrana, write_files
from tests.support.notification_servers import SmtpInbox, WebhookReceiver, free_port

SMTP_ENV = {"MEMBRANA_SMTP_USER": "membrana-bot", "MEMBRANA_SMTP_PASSWORD": "s3cret",
            "MEMBRANA_SMTP_FROM": "membrana@example.com", "MEMBRANA_SMTP_STARTTLS": "no"}
HEAD_OF_SALES = "head.of.sales@example.com"


@pytest.fixture(scope="module")
def servers():
    with SmtpInbox() as inbox, WebhookReceiver() as webhook:
        yield inbox, webhook


@pytest.fixture(scope="module")
def nights(servers, tmp_path_factory):
    """Each night: its `membrana run` result, its run report, and the mails and posts that arrived during it."""
    inbox, webhook = servers
    folder = DataFolder(tmp_path_factory.mktemp("notified_company"))
    generate_company(folder.root, contacts=3000)
    closed_port = free_port()  # nothing listens there
    write_files(folder.root, {
        # A wave of spam form submissions on online ads in its last month: its membranes leave their limits.
        "landing/contacts/contacts_spam_2026-10.csv": "contact_id,received_at,source,medium\n" + "".join(
            f"SPAM{n:04d},2026-10-{1 + n % 31:02d} 03:{n % 60:02d}:00,yandex,cpc\n" for n in range(300)),
        "config/dashboard.csv": "setting,value\nlanguage,ru\n",
        "config/notifications.csv": "channel,address,events\n"
        f"email,{HEAD_OF_SALES},all\n"
        f"webhook,http://127.0.0.1:{webhook.port}/hooks/T000/SECRET,all\n"
        f"webhook,http://127.0.0.1:{closed_port}/hooks/gone,membrane_alert run_failed\n",
    })
    env = {**SMTP_ENV, "MEMBRANA_SMTP_HOST": "127.0.0.1", "MEMBRANA_SMTP_PORT": str(inbox.port)}
    outcomes = {}
    for night, extra in [("clean", {}), ("again", {}),
                         # the demo's contacts end on 2026-10-31 and block after 7 days
                         ("blocked", {"MEMBRANA_RUN_DATE": "2026-11-30"}),
                         ("failed", {})]:
        if night == "failed":  # a deals export without its status column stops the load
            write_files(folder.root, {"landing/deals/deals_broken.csv": "deal_id,lead_id,created_at\nd1,l1,2026-10-01\n"})
        mails, posts = len(inbox.mails), len(webhook.posts)
        result = run_membrana("run", data_dir=folder.root, env={**env, **extra})
        report = json.loads((folder.logs / "run_report.json").read_text())
        outcomes[night] = (result, report, inbox.mails[mails:], webhook.posts[posts:])
    return folder, closed_port, outcomes


MEMBRANES_RU = {"fixation_rate": "КФ", "booking_rate": "ЭППО", "no_show_rate": "Неявки", "closing_rate": "КЗ"}
GRAINS_RU = {"week": "неделя", "month": "месяц"}


def published_alerts(folder: DataFolder) -> list[str]:
    """How each membrane outside its limits must be named in Russian: "- КЗ, канал partners, месяц с 2026-10-01"."""
    with duckdb.connect(str(folder.published / "membrana.duckdb"), read_only=True) as con:
        rows = con.execute("select membrane, channel, period_grain, period_start from marts.alerts where is_alert").fetchall()
    return sorted(f"- {MEMBRANES_RU[membrane]}, канал {channel}, {GRAINS_RU[grain]} с {start.isoformat()}"
                  for membrane, channel, grain, start in rows)


def test_the_clean_night_tells_each_membrane_alert_by_mail_and_webhook(nights):
    folder, _, outcomes = nights
    result, _, mails, posts = outcomes["clean"]
    assert result.returncode == 0, failure(result)
    alerts = published_alerts(folder)
    assert alerts, "the test company must have membranes outside their control limits"
    assert len(mails) == 1 and len(posts) == 1
    sender, recipients, mail = mails[0]
    assert (sender, recipients, mail["To"]) == ("membrana@example.com", [HEAD_OF_SALES], HEAD_OF_SALES)
    assert mail["Subject"] == f"membrana · {folder.root.name}: мембраны вне контрольных границ: {len(alerts)}"
    lines = [line for line in mail.get_content().splitlines() if line.startswith("- ")]
    assert sorted(line.split(": ")[0] for line in lines) == alerts
    path, content_type, body = posts[0]
    assert path == "/hooks/T000/SECRET" and content_type.startswith("application/json")
    assert list(body) == ["text"]
    assert body["text"].startswith(mail["Subject"] + "\n\n") and mail.get_content().strip() in body["text"]


def test_the_smtp_login_comes_from_the_environment(nights, servers):
    inbox, _ = servers
    assert set(inbox.logins) == {("membrana-bot", "s3cret")}


def test_a_night_that_runs_again_tells_nothing_twice(nights):
    _, _, outcomes = nights
    result, report, mails, posts = outcomes["again"]
    assert result.returncode == 0, failure(result)
    assert (mails, posts, report["notifications"]["sent"]) == ([], [], [])


def test_an_unreachable_server_is_a_warning_and_the_night_still_publishes(nights):
    folder, closed_port, outcomes = nights
    for night in ("clean", "again"):  # not delivered: tried again the next night
        result, report, _, _ = outcomes[night]
        assert result.returncode == 0 and report["status"] == "published", failure(result)
        warnings = report["notifications"]["warnings"]
        assert len(warnings) == 1 and warnings[0].startswith(f"webhook http://127.0.0.1:{closed_port}/… failed: ")
        assert "gone" not in warnings[0]  # a webhook's path is its secret: shown by its host only
        assert f"WARNING notifications: {warnings[0]}" in result.stdout
    sent_log = (folder.logs / "notifications_sent.jsonl").read_text()
    assert str(closed_port) not in sent_log


def test_a_blocked_publish_is_told_once_with_its_reason(nights):
    folder, _, outcomes = nights
    result, report, mails, posts = outcomes["blocked"]
    assert result.returncode == 1 and report["status"] == "blocked", failure(result)
    assert len(mails) == 1 and len(posts) == 1  # the snapshot's alerts were told already
    mail = mails[0][2]
    assert mail["Subject"] == f"membrana · {folder.root.name}: публикация ночного запуска заблокирована"
    assert f"Ночной запуск за 2026-11-30 ничего не опубликовал: {report['reason']}" in mail.get_content()
    assert report["reason"] in posts[0][2]["text"]


def test_a_failed_run_is_told_with_its_reason(nights):
    folder, _, outcomes = nights
    result, report, mails, posts = outcomes["failed"]
    assert result.returncode == 1 and report["status"] == "failed", failure(result)
    assert "deals_broken.csv" in report["reason"]
    assert len(mails) == 1 and len(posts) == 1
    mail = mails[0][2]
    assert mail["Subject"] == f"membrana · {folder.root.name}: ночной запуск завершился ошибкой"
    assert report["reason"] in mail.get_content() and report["reason"] in posts[0][2]["text"]
    # the unreachable webhook listens for failures too: one warning for the failure, one for the alerts
    assert len(report["notifications"]["warnings"]) == 2


def test_what_was_sent_is_recorded_once_per_message(nights):
    folder, _, outcomes = nights
    entries = [json.loads(line) for line in (folder.logs / "notifications_sent.jsonl").read_text().splitlines()]
    received = sum(len(mails) + len(posts) for _, _, mails, posts in outcomes.values())
    assert len(entries) == received == 6
    assert [entry["event"] for entry in entries] == ["membrane_alert"] * 2 + ["blocked_publish"] * 2 + ["run_failed"] * 2
