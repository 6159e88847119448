"""One message delivered to a real server on 127.0.0.1, or one line saying why it was not."""

import pytest

from orchestration.notify.delivery import DeliveryError, post_webhook, send_email
from orchestration.notify.events import Message
from orchestration.notify.settings import SmtpServer
from tests.support.notification_servers import SmtpInbox, WebhookReceiver, free_port

# Long and Cyrillic: the subject is folded into several encoded words, which must keep their spaces.
RUSSIAN = Message("run_failed", "membrana · компания-с-длинным-именем: ночной запуск завершился ошибкой",
                  "Ночной запуск за 2026-11-30 завершился ошибкой: причина\n\nПодробности: /srv/logs/run_report.md")


def server(port: int, **changes) -> SmtpServer:
    return SmtpServer(**{"host": "127.0.0.1", "port": port, "starttls": False, "user": "bot", "password": "pw",
                         "sender": "membrana@example.com", **changes})


def test_an_email_arrives_with_its_subject_text_and_login():
    with SmtpInbox() as inbox:
        send_email(server(inbox.port), "boss@example.com", RUSSIAN)
    (sender, recipients, mail), = inbox.mails
    assert (sender, recipients, mail["From"], mail["To"]) == (
        "membrana@example.com", ["boss@example.com"], "membrana@example.com", "boss@example.com")
    assert mail["Subject"] == RUSSIAN.subject
    assert mail.get_content().rstrip("\n") == RUSSIAN.text
    assert inbox.logins == [("bot", "pw")]


def test_a_webhook_gets_one_json_text():
    with WebhookReceiver() as webhook:
        post_webhook(f"http://127.0.0.1:{webhook.port}/hooks/abc", RUSSIAN)
    (path, content_type, body), = webhook.posts
    assert (path, content_type) == ("/hooks/abc", "application/json; charset=utf-8")
    assert body == {"text": f"{RUSSIAN.subject}\n\n{RUSSIAN.text}"}


def test_a_closed_port_is_one_line():
    port = free_port()
    with pytest.raises(DeliveryError) as refused:
        post_webhook(f"http://127.0.0.1:{port}/hook", RUSSIAN)
    assert str(refused.value).startswith(f"webhook http://127.0.0.1:{port}/hook failed: ")
    with pytest.raises(DeliveryError) as refused:
        send_email(server(port), "boss@example.com", RUSSIAN)
    assert str(refused.value).startswith(f"e-mail to boss@example.com via 127.0.0.1:{port} failed: ")
    assert "\n" not in str(refused.value)


def test_a_webhook_that_answers_an_error_is_one_line():
    with WebhookReceiver(status=404) as webhook, pytest.raises(DeliveryError) as refused:
        post_webhook(f"http://127.0.0.1:{webhook.port}/revoked", RUSSIAN)
    assert str(refused.value) == f"webhook http://127.0.0.1:{webhook.port}/revoked answered 404 Not Found"
