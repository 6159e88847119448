"""What a night has to tell: a blocked publish, a failed run, and each membrane outside its control limits
in the published snapshot's `marts.alerts`. Each event has a key, so that it is told once: a night that
runs again finds the same membrane alert under the same key and does not repeat it."""

from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.publish.dashboard import LABELS, Formatter
from orchestration.publish.snapshot import connect_snapshot, snapshot_path

WORDS = {
    "en": {
        "blocked_publish": "the night's publish was blocked",
        "run_failed": "the nightly run failed",
        "membrane_alert": "membranes outside their control limits: {count}",
        "blocked_body": "The nightly run of {run_date} published nothing: {reason}",
        "failed_body": "The nightly run of {run_date} failed: {reason}",
        "previous": "The previous snapshot stays published ({written_at}).",
        "no_previous": "Nothing has been published yet.",
        "alerts_body": "These membranes moved outside their control limits (marts.alerts). Find out why:",
        "alert_line": "{membrane} of {channel}, {grain} from {start}: {rate} ({status}; limits {low}–{high})",
        "week": "week", "month": "month",
        "details": "Details: {report}",
    },
    "ru": {
        "blocked_publish": "публикация ночного запуска заблокирована",
        "run_failed": "ночной запуск завершился ошибкой",
        "membrane_alert": "мембраны вне контрольных границ: {count}",
        "blocked_body": "Ночной запуск за {run_date} ничего не опубликовал: {reason}",
        "failed_body": "Ночной запуск за {run_date} завершился ошибкой: {reason}",
        "previous": "Опубликованным остаётся прежний снимок ({written_at}).",
        "no_previous": "Опубликованного снимка пока нет.",
        "alerts_body": "Эти мембраны вышли за контрольные границы (marts.alerts). Выясните почему:",
        "alert_line": "{membrane}, канал {channel}, {grain} с {start}: {rate} ({status}; границы {low}–{high})",
        "week": "неделя", "month": "месяц",
        "details": "Подробности: {report}",
    },
}


@dataclass(frozen=True)
class Event:
    kind: str  # blocked_publish | run_failed | membrane_alert
    key: str  # the same event, told once: the run for a failure, the period, channel and membrane for an alert
    line: str  # what it says, in the message's language


@dataclass(frozen=True)
class Message:
    kind: str
    subject: str
    text: str


def night_events(report: dict, published: Path, language: str) -> list[Event]:
    """The events of the night the run report describes, and the published snapshot's membrane alerts."""
    words, events = WORDS[language], []
    if report["status"] in ("blocked", "failed"):
        kind = "blocked_publish" if report["status"] == "blocked" else "run_failed"
        body = words["blocked_body" if kind == "blocked_publish" else "failed_body"]
        snapshot_at = report["published"]["snapshot_written_at"]
        events.append(Event(kind, f"{kind}:{report['run_id']}", "\n".join([
            body.format(run_date=report["run_date"] or "?", reason=report["reason"]),
            words["previous"].format(written_at=snapshot_at) if snapshot_at else words["no_previous"],
        ])))
    return events + membrane_alerts(published, language)


def membrane_alerts(published: Path, language: str) -> list[Event]:
    if not snapshot_path(published).exists():
        return []
    try:
        with connect_snapshot(published) as con:
            rows = con.execute(
                "select period_grain, period_start, channel, membrane, alert_status, rate, lower_limit, upper_limit "
                "from snapshot.marts.alerts where is_alert order by period_grain desc, channel, membrane"
            ).fetchall()
    except duckdb.Error:
        return []  # a snapshot published before the alerts mart existed
    words, labels, fmt = WORDS[language], LABELS[language], Formatter(language)
    return [
        Event("membrane_alert", f"membrane_alert:{grain}:{start}:{channel}:{membrane}:{status}",
              words["alert_line"].format(
                  membrane=labels.get(membrane, membrane), channel=channel, grain=words.get(grain, grain),
                  start=start.isoformat(), rate=fmt.percent(rate, 1), status=labels.get(status, status),
                  low=fmt.percent(low, 1), high=fmt.percent(high, 1)))
        for grain, start, channel, membrane, status, rate, low, high in rows
    ]


def message(kind: str, events: list[Event], folder_name: str, report_path: Path, language: str) -> Message:
    """One message for the events of one kind a recipient has not been told yet."""
    words = WORDS[language]
    subject = f"membrana · {folder_name}: " + words[kind].format(count=len(events))
    if kind == "membrane_alert":
        text = "\n".join([words["alerts_body"], *(f"- {event.line}" for event in events)])
    else:
        text = "\n\n".join(event.line for event in events)
    return Message(kind, subject, f"{text}\n\n{words['details'].format(report=report_path)}")
