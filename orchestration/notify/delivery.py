"""Sending one message: an e-mail over SMTP, or a JSON POST to a webhook. Both give up after a short
timeout and raise DeliveryError with one line; the caller turns it into a warning of the run report."""

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from email.header import Header
from email.mime.text import MIMEText

from orchestration.notify.events import Message
from orchestration.notify.settings import SmtpServer

TIMEOUT_SECONDS = 10  # a night never waits long for a mail or chat server
IMPLICIT_TLS_PORT = 465  # SMTP over TLS from the first byte (the other ports upgrade with STARTTLS)


class DeliveryError(Exception):
    """A message that could not be delivered; the message is one line."""


def send_email(server: SmtpServer, to: str, message: Message) -> None:
    mail = MIMEText(message.text, "plain", "utf-8")
    # Header() splits a long Cyrillic subject into encoded words that keep their spaces; EmailMessage's
    # folding drops the space at a fold ("ночнойзапуск").
    mail["From"], mail["To"], mail["Subject"] = server.sender, to, Header(message.subject, "utf-8")
    try:
        if server.port == IMPLICIT_TLS_PORT:
            connection = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_SECONDS,
                                          context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
        with connection:
            if server.starttls and server.port != IMPLICIT_TLS_PORT:
                connection.starttls(context=ssl.create_default_context())
            if server.user:
                connection.login(server.user, server.password or "")
            connection.send_message(mail)
    except (OSError, smtplib.SMTPException) as error:
        raise DeliveryError(f"e-mail to {to} via {server.host}:{server.port} failed: {one_line(error)}") from error


def post_webhook(url: str, message: Message) -> None:
    """{"text": ...} is what Slack and Mattermost incoming webhooks, MS Teams connectors and Telegram bot
    gateways all accept; the subject is its first line."""
    body = json.dumps({"text": f"{message.subject}\n\n{message.text}"}, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
    except urllib.error.HTTPError as error:
        raise DeliveryError(f"webhook {url} answered {error.code} {error.reason}") from error
    except (OSError, ValueError) as error:
        raise DeliveryError(f"webhook {url} failed: {one_line(error)}") from error


def one_line(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    lines = str(reason).strip().splitlines()
    return lines[0] if lines else type(error).__name__
