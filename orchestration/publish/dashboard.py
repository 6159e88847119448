"""The manager's instrument panel: one self-contained HTML page (inline SVG and CSS, no script, nothing
fetched) rendered from the published snapshot, so it can be opened offline or sent as an attachment.

Marts that other parts of the project add later (`alerts`, `unit_economics`) and the run report are used
when the snapshot or the logs folder has them; otherwise their section says they are not available yet.
"""

import csv
import json
import os
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from orchestration.publish import svg_charts
from orchestration.publish.snapshot import connect_snapshot, last_complete_month, snapshot_path
from orchestration.publish.svg_charts import PALETTE, Series

LANGUAGES = ("en", "ru")
SETTINGS_FILE = "dashboard.csv"
TEMPLATE = "dashboard.html.j2"
TREND_MONTHS = 12

LABELS = {
    "en": {
        "title": "membrana — funnel dashboard", "published": "Snapshot published", "month": "Last complete month",
        "data_folder": "Data folder", "funnel": "Funnel per channel", "kpi": "KPIs per channel, month over month",
        "trends": "Membrane trends (all channels)", "alerts": "Drift alerts", "capacity": "Capacity load and plan",
        "unit_economics": "Unit economics per channel", "run": "Last run", "channel": "Channel",
        "not_available": "Not available yet: {what}.", "no_alerts": "No membrane is "
        "outside its control limits.", "no_month": "No month is complete yet.",
        "change": "Small figures: change against the previous month; pp = percentage points",
        "incoming_contacts": "Contacts (ПО)", "fixed_leads": "Fixed", "meetings_booked": "Meetings booked",
        "meetings_held": "Meetings held", "deals_won": "Deals won (КО)", "revenue": "Revenue",
        "acquisition_cost": "Acquisition cost", "cost_per_contact": "Cost per contact (СК)",
        "fixation_rate": "Fixation rate (КФ)", "booking_rate": "Booking rate (ЭППО)", "no_show_rate": "No-show rate",
        "closing_rate": "Closing rate (КЗ)", "conversion_rate": "Conversion (КК)", "average_check": "Average check (СЧ)",
        "cost_per_deal": "Cost per deal", "romi": "ROMI", "cac": "CAC (new client)", "ltv": "LTV",
        "ltv_to_cac": "LTV / CAC", "payback_months": "Payback, months", "capacity_jobs": "Capacity, jobs",
        "production_load": "Production load", "target_load": "Target load", "needed": "Needed to fill capacity",
        "actual": "Actual", "contacts": "Contacts", "managers": "Managers", "operators": "Call operators",
        "membrane": "Membrane", "period": "Period", "rate": "Rate", "limits": "Control limits", "status": "Status",
        "worse": "worse", "better": "better", "alert_mark": "ringed point: a channel drifted this month",
        "run_report": "the run report (logs/run_report.json) has not been written",
        "alerts_mart": "the snapshot has no alerts mart",
        "unit_economics_mart": "the snapshot has no unit_economics mart (CAC, LTV, payback)",
        "channel_plan_mart": "the snapshot has no capacity_plan_by_channel mart",
        "channel_plan": "What each channel must bring (at its own cost and the current mix)",
        "contacts_needed": "Contacts needed", "budget_needed": "Budget needed", "budget_actual": "Budget spent",
        "channel_trends": "Membrane trends per channel",
        "untraced": "Deals no lead traces ({month}): {deals} of {all_deals} won deals ({deals_share}) and {revenue} "
                    "of revenue ({revenue_share}), in `unknown`. They count in deals won, revenue and ROMI, not "
                    "in any pass rate.",
        "untraced_none": "Every won deal of {month} is traced to a lead.",
        "untraced_panel": "+ {deals} won deals with no lead (not in the funnel)",
        "plan": "Plan vs fact", "plan_mart": "the snapshot has no plan_vs_fact mart",
        "no_plan": "No targets: config/plan.csv has none (month, channel, target_contacts, target_deals, "
                   "target_revenue, target_budget).",
        "plan_month": "Plan vs fact per channel — {month}", "running": "month still running",
        "target": "Target", "achieved": "Achieved", "budget": "Budget", "not_planned": "not planned",
        "plan_totals": "All channels: target and actual revenue per planned month",
        "target_revenue": "Target revenue", "actual_revenue": "Actual revenue",
        "run_facts": ("Outcome", "Started", "Duration, s", "Why not published", "Checks", "Blocking failures",
                      "Drift alerts"),
    },
    "ru": {
        "title": "membrana — панель воронки", "published": "Снимок опубликован", "month": "Последний полный месяц",
        "data_folder": "Папка данных", "funnel": "Воронка по каналам", "kpi": "KPI по каналам, к прошлому месяцу",
        "trends": "Тренды мембран (все каналы)", "alerts": "Сигналы дрейфа", "capacity": "Загрузка производства и план",
        "unit_economics": "Юнит-экономика по каналам", "run": "Последний запуск", "channel": "Канал",
        "not_available": "Пока недоступно: {what}.", "no_alerts": "Все мембраны в пределах "
        "контрольных границ.", "no_month": "Ни один месяц ещё не завершён.",
        "change": "Мелкие цифры: изменение к прошлому месяцу; п.п. = процентные пункты",
        "incoming_contacts": "ПО", "fixed_leads": "Зафиксировано", "meetings_booked": "ПВ(Д)",
        "meetings_held": "ПВ(С)", "deals_won": "КО", "revenue": "Выручка", "acquisition_cost": "Затраты на привлечение",
        "cost_per_contact": "СК", "fixation_rate": "КФ", "booking_rate": "ЭППО", "no_show_rate": "Неявки",
        "closing_rate": "КЗ", "conversion_rate": "КК", "average_check": "СЧ", "cost_per_deal": "Стоимость сделки",
        "romi": "ROMI", "cac": "CAC (новый клиент)", "ltv": "LTV", "ltv_to_cac": "LTV / CAC",
        "payback_months": "Окупаемость, мес.", "capacity_jobs": "Мощность, работ", "production_load": "Загрузка",
        "target_load": "Целевая загрузка", "needed": "Нужно для заполнения мощности", "actual": "Факт",
        "contacts": "Обращения", "managers": "Менеджеры", "operators": "Операторы", "membrane": "Мембрана",
        "period": "Период", "rate": "Значение", "limits": "Контрольные границы", "status": "Статус",
        "worse": "хуже", "better": "лучше", "alert_mark": "обведённая точка: дрейф канала в этом месяце",
        "run_report": "отчёт о запуске (logs/run_report.json) ещё не записан",
        "alerts_mart": "в снимке нет витрины alerts",
        "unit_economics_mart": "в снимке нет витрины unit_economics (CAC, LTV, окупаемость)",
        "channel_plan_mart": "в снимке нет витрины capacity_plan_by_channel",
        "channel_plan": "Что должен дать каждый канал (по его цене и текущему миксу)",
        "contacts_needed": "Нужно ПО", "budget_needed": "Нужен бюджет", "budget_actual": "Потрачено",
        "channel_trends": "Тренды мембран по каналам",
        "untraced": "Сделки без лида ({month}): {deals} из {all_deals} КО ({deals_share}) и {revenue} выручки "
                    "({revenue_share}), в канале `unknown`. Они входят в КО, выручку и ROMI, но не в "
                    "мембраны.",
        "untraced_none": "Каждая сделка {month} прослежена до лида.",
        "untraced_panel": "+ {deals} КО без лида (вне воронки)",
        "plan": "План-факт", "plan_mart": "в снимке нет витрины plan_vs_fact",
        "no_plan": "Целей нет: config/plan.csv пуст (month, channel, target_contacts, target_deals, "
                   "target_revenue, target_budget).",
        "plan_month": "План-факт по каналам — {month}", "running": "месяц ещё идёт",
        "target": "План", "achieved": "Выполнение", "budget": "Бюджет", "not_planned": "вне плана",
        "plan_totals": "Все каналы: план и факт выручки по месяцам плана",
        "target_revenue": "План выручки", "actual_revenue": "Факт выручки",
        "run_facts": ("Итог", "Начало", "Длительность, с", "Почему не опубликовано", "Проверки",
                      "Блокирующие ошибки", "Сигналы дрейфа"),
    },
}

FUNNEL_STAGES = ("incoming_contacts", "fixed_leads", "meetings_booked", "meetings_held", "deals_won")
# The pass rate written under each stage of the funnel: into the next stage.
FUNNEL_PASS_RATES = ("fixation_rate", None, None, "closing_rate")
MEMBRANES = ("fixation_rate", "booking_rate", "no_show_rate", "closing_rate")
# KPI table: column, format, whether month-over-month change is in points (rates) or relative.
KPI_COLUMNS = (
    ("incoming_contacts", "count"), ("deals_won", "count"), ("revenue", "money"), ("cost_per_contact", "money"),
    ("fixation_rate", "rate"), ("booking_rate", "rate"), ("no_show_rate", "rate"), ("closing_rate", "rate"),
    ("conversion_rate", "rate"), ("average_check", "money"), ("romi", "rate"),
)
UNIT_ECONOMICS_EXTRA = (("cac", "money"), ("ltv", "money"), ("ltv_to_cac", "ratio"), ("payback_months", "ratio"))
LOWER_IS_BETTER = {"no_show_rate", "cost_per_contact", "cost_per_deal", "cac", "payback_months"}


def dashboard_language(config_dir: Path, defaults_dir: Path) -> str:
    """MEMBRANA_LANGUAGE, else the `language` setting of config/dashboard.csv (shipped default: en)."""
    language = os.environ.get("MEMBRANA_LANGUAGE")
    if not language:
        settings_file = config_dir / SETTINGS_FILE
        if not settings_file.exists():
            settings_file = defaults_dir / SETTINGS_FILE
        with open(settings_file, newline="", encoding="utf-8") as handle:
            settings = {row["setting"].strip(): (row["value"] or "").strip() for row in csv.DictReader(handle)}
        language = settings.get("language", "en")
    language = language.strip().lower()
    if language not in LANGUAGES:
        raise ValueError(f"dashboard language {language!r} is not one of {', '.join(LANGUAGES)} "
                         f"(set MEMBRANA_LANGUAGE or `language` in config/{SETTINGS_FILE})")
    return language


class Formatter:
    """Numbers the way the chosen language writes them."""

    def __init__(self, language: str):
        self.language = language

    def number(self, value, decimals: int = 0) -> str:
        if value is None:
            return "—"
        formatted = f"{float(value):,.{decimals}f}"
        if self.language == "ru":
            formatted = formatted.replace(",", "\u202f").replace(".", ",")
        return formatted

    def percent(self, value, decimals: int = 0) -> str:
        return "—" if value is None else self.number(float(value) * 100, decimals) + "%"

    def value(self, value, kind: str) -> str:
        if kind == "rate":
            return self.percent(value, 1)
        if kind == "ratio":
            return self.number(value, 1)
        return self.number(value)

    def change(self, current, previous, kind: str) -> str:
        """Rates change in percentage points, everything else relative to the previous month."""
        if current is None or previous is None:
            return ""
        if kind == "rate":
            points = (float(current) - float(previous)) * 100
            unit = "п.п." if self.language == "ru" else "pp"
            return f"{'+' if points >= 0 else '−'}{self.number(abs(points), 1)} {unit}"
        if not previous:
            return ""
        relative = float(current) / float(previous) - 1
        return f"{'+' if relative >= 0 else '−'}{self.percent(abs(relative))}"

    def month(self, value: date) -> str:
        return f"{value:%m.%Y}" if self.language == "ru" else f"{value:%b %Y}"


def rows_of(con, sql: str, params=()) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def snapshot_marts(con) -> set[str]:
    return {name for (name,) in con.execute(
        "select table_name from duckdb_tables() where database_name = 'snapshot' and schema_name = 'marts'"
    ).fetchall()}


def read_run_report(logs_dir: Path) -> dict | None:
    try:
        return json.loads((logs_dir / "run_report.json").read_text())
    except (OSError, ValueError):
        return None


def change_class(column: str, current, previous) -> str:
    if current is None or previous is None or current == previous:
        return ""
    improved = (current < previous) if column in LOWER_IS_BETTER else (current > previous)
    return "up" if improved else "down"


def funnel_section(con, month, fmt: Formatter, t: dict) -> list[dict]:
    """Each channel's funnel ends in the deals a lead traces (those its meetings led to); the deals no lead
    traces are written under it, apart."""
    rows = rows_of(con, f"select channel, {', '.join(FUNNEL_STAGES)}, deals_without_lead, fixation_rate, "
                        "booking_rate, no_show_rate, closing_rate from snapshot.marts.kpi_monthly where month = ? "
                        "order by incoming_contacts desc, channel", [month])
    panels = []
    for row in rows:
        untraced = row["deals_without_lead"] or 0
        traced = {**row, "deals_won": (row["deals_won"] or 0) - untraced}
        stages = [(t[stage], float(traced[stage] or 0)) for stage in FUNNEL_STAGES]
        booked_per_fixed = row["meetings_booked"] / row["fixed_leads"] if row["fixed_leads"] else None
        held_per_booked = row["meetings_held"] / row["meetings_booked"] if row["meetings_booked"] else None
        pass_rates = [
            f"{t['fixation_rate']} {fmt.percent(row['fixation_rate'])}",
            f"{fmt.percent(booked_per_fixed)} · {t['booking_rate']} {fmt.percent(row['booking_rate'])}",
            f"{fmt.percent(held_per_booked)} · {t['no_show_rate']} {fmt.percent(row['no_show_rate'])}",
            f"{t['closing_rate']} {fmt.percent(row['closing_rate'])}",
        ]
        panels.append({"channel": row["channel"],
                       "chart": Markup(svg_charts.funnel(stages, pass_rates, f"{t['funnel']}: {row['channel']}")),
                       "untraced": t["untraced_panel"].format(deals=fmt.number(untraced)) if untraced else None})
    return panels


def untraced_note(con, month, fmt: Formatter, t: dict) -> str:
    """What share of the month's won deals and revenue no lead traces (kpi_monthly.deals_without_lead)."""
    deals, untraced, revenue, untraced_revenue = con.execute(
        "select sum(deals_won), sum(deals_without_lead), sum(revenue), sum(revenue_without_lead) "
        "from snapshot.marts.kpi_monthly where month = ?", [month]).fetchone()
    if not untraced:
        return t["untraced_none"].format(month=fmt.month(month))
    return t["untraced"].format(
        month=fmt.month(month), deals=fmt.number(untraced), all_deals=fmt.number(deals),
        deals_share=fmt.percent(untraced / deals, 1), revenue=fmt.number(untraced_revenue),
        revenue_share=fmt.percent(untraced_revenue / revenue, 1) if revenue else "—")


def kpi_section(con, month, fmt: Formatter, t: dict) -> dict:
    columns = ", ".join(column for column, _ in KPI_COLUMNS)
    current = {r["channel"]: r for r in rows_of(
        con, f"select channel, {columns} from snapshot.marts.kpi_monthly where month = ?", [month])}
    previous = {r["channel"]: r for r in rows_of(
        con, f"select channel, {columns} from snapshot.marts.kpi_monthly "
             f"where month = cast(? as date) - interval 1 month", [month])}
    table = []
    for channel, row in sorted(current.items(), key=lambda item: -(item[1]["incoming_contacts"] or 0)):
        before = previous.get(channel, {})
        table.append({"channel": channel, "cells": [
            {"value": fmt.value(row[column], kind), "change": fmt.change(row[column], before.get(column), kind),
             "class": change_class(column, row[column], before.get(column))}
            for column, kind in KPI_COLUMNS
        ]})
    return {"headers": [t[column] for column, _ in KPI_COLUMNS], "rows": table}


def trends_section(con, month, fmt: Formatter, t: dict, alerts: list[dict] | None) -> list[dict]:
    totals = rows_of(con, """
        select month,
            sum(fixed_leads) / nullif(sum(incoming_contacts), 0) as fixation_rate,
            sum(meetings_booked) / nullif(sum(incoming_contacts), 0) as booking_rate,
            sum(no_shows) / nullif(sum(meetings_booked), 0) as no_show_rate,
            sum(deals_won) / nullif(sum(meetings_held), 0) as closing_rate
        from snapshot.marts.kpi_monthly where month <= ? group by month order by month desc limit ?
    """, [month, TREND_MONTHS])[::-1]
    labels = [fmt.month(row["month"]) for row in totals]
    charts = []
    for index, membrane in enumerate(MEMBRANES):
        drifted = [a for a in (alerts or []) if a["membrane"] == membrane and a["period_grain"] == "month"]
        marked = {}
        for alert in drifted:
            position = next((i for i, row in enumerate(totals) if row["month"] == alert["period_start"]), None)
            if position is not None:
                reason = f"{alert['channel']}: {t.get(alert['alert_status'], alert['alert_status'])} " \
                         f"{fmt.percent(alert['rate'], 1)}"
                key = (0, position)
                marked[key] = f"{marked[key]}; {reason}" if key in marked else reason
        series = [Series(t[membrane], [None if r[membrane] is None else float(r[membrane]) for r in totals],
                         PALETTE[index])]
        charts.append({"membrane": t[membrane], "alerts": len(drifted), "chart": Markup(svg_charts.line_chart(
            labels, series, t[membrane], value_format=lambda v: fmt.percent(v), marked=marked, width=420,
            height=170))})
    return charts


def channel_trends_section(con, month, fmt: Formatter, t: dict, alerts: list[dict] | None) -> list[dict]:
    """One chart per channel (those of the month, in the funnel's order) with its four membranes over the
    last TREND_MONTHS months; a ring where the alerts mart flags that channel's membrane."""
    rows = rows_of(con, f"""
        select month, channel, {', '.join(MEMBRANES)} from snapshot.marts.kpi_monthly
        where month <= ? and month > cast(? as date) - interval {TREND_MONTHS} month
        order by month""", [month, month])
    months = sorted({row["month"] for row in rows})
    labels = [fmt.month(m) for m in months]
    by_channel: dict[str, dict] = {}
    for row in rows:
        by_channel.setdefault(row["channel"], {})[row["month"]] = row
    order = [r["channel"] for r in rows_of(con, "select channel from snapshot.marts.kpi_monthly where month = ? "
                                                "order by incoming_contacts desc, channel", [month])]
    charts = []
    for channel in order:
        history = by_channel.get(channel, {})
        series = [Series(t[membrane], [None if history.get(m, {}).get(membrane) is None
                                       else float(history[m][membrane]) for m in months], PALETTE[index])
                  for index, membrane in enumerate(MEMBRANES)]
        marked = {}
        for alert in alerts or []:
            if alert["channel"] == channel and alert["period_grain"] == "month" and alert["period_start"] in months:
                key = (MEMBRANES.index(alert["membrane"]), months.index(alert["period_start"]))
                marked[key] = f"{t[alert['membrane']]}: {t.get(alert['alert_status'], alert['alert_status'])} " \
                              f"{fmt.percent(alert['rate'], 1)}"
        charts.append({"channel": channel, "alerts": len(marked), "chart": Markup(svg_charts.line_chart(
            labels, series, f"{t['channel_trends']}: {channel}", value_format=lambda v: fmt.percent(v),
            marked=marked, width=420, height=170, legend=True))})
    return charts


PLAN_MEASURES = (("incoming_contacts", "contacts"), ("deals_won", "deals"), ("revenue", "revenue"),
                 ("budget", "budget"))


def plan_section(con, fmt: Formatter, t: dict) -> dict:
    """plan_vs_fact for the newest complete planned month (else the newest planned one), per channel, and the
    company's revenue against its target over the planned months."""
    planned = rows_of(con, "select month, bool_and(is_complete_month) as is_complete, "
                           "sum(target_revenue) as target_revenue, sum(actual_revenue) as actual_revenue "
                           "from snapshot.marts.plan_vs_fact group by month having bool_or(is_planned) "
                           "order by month")
    if not planned:
        return {"month": None}
    complete = [row for row in planned if row["is_complete"]]
    shown = (complete or planned)[-1]
    rows = rows_of(con, "select * from snapshot.marts.plan_vs_fact where month = ? "
                        "order by is_planned desc, target_revenue desc nulls last, channel", [shown["month"]])
    table = []
    for row in rows:
        cells = []
        for column, measure in PLAN_MEASURES:
            actual, target = row[f"actual_{measure}"], row[f"target_{measure}"]
            share = row["budget_spent_share" if measure == "budget" else f"{measure}_achievement"]
            cells.append({"target": fmt.number(target), "actual": fmt.number(actual), "achieved": fmt.percent(share),
                          "class": "" if share is None else
                          ("up" if (share <= 1 if measure == "budget" else share >= 1) else "down")})
        table.append({"channel": row["channel"], "planned": row["is_planned"], "cells": cells})
    recent = planned[-TREND_MONTHS:]
    chart = svg_charts.bars(
        [fmt.month(row["month"]) for row in recent],
        [Series(t["target_revenue"], [None if r["target_revenue"] is None else float(r["target_revenue"])
                                      for r in recent], PALETTE[8]),
         Series(t["actual_revenue"], [float(r["actual_revenue"] or 0) for r in recent], PALETTE[1])],
        t["plan_totals"], value_format=lambda v: fmt.number(v))
    return {"month": fmt.month(shown["month"]), "is_complete": shown["is_complete"], "rows": table,
            "headers": [t[column] for column, _ in PLAN_MEASURES], "chart": Markup(chart)}


def alerts_section(con, fmt: Formatter, t: dict) -> list[dict]:
    rows = rows_of(con, "select * from snapshot.marts.alerts where is_alert "
                        "order by period_grain desc, channel, membrane")
    return [{
        "period": f"{row['period_grain']} {row['period_start']}", "channel": row["channel"],
        "membrane": t.get(row["membrane"], row["membrane"]), "rate": fmt.percent(row["rate"], 1),
        "limits": f"{fmt.percent(row['lower_limit'], 1)} – {fmt.percent(row['upper_limit'], 1)}",
        "status": t.get(row["alert_status"], row["alert_status"]), "class": "down" if row["alert_status"] == "worse"
        else "up", "raw": row,
    } for row in rows]


def capacity_section(con, month, fmt: Formatter, t: dict) -> dict:
    history = rows_of(con, "select * from snapshot.marts.capacity_plan where month <= ? "
                           "order by month desc limit ?", [month, TREND_MONTHS])[::-1]
    labels = [fmt.month(row["month"]) for row in history]
    target = history[-1]["target_load"] if history and "target_load" in history[-1] else None
    load_chart = svg_charts.line_chart(
        labels, [Series(t["production_load"], [None if r["production_load"] is None else float(r["production_load"])
                                               for r in history], PALETTE[0])],
        t["production_load"], value_format=lambda v: fmt.percent(v),
        reference=(float(target), t["target_load"]) if target is not None else None,
    )
    jobs_chart = svg_charts.bars(
        labels, [Series(t["capacity_jobs"], [float(r["capacity_jobs"]) for r in history], PALETTE[8]),
                 Series(t["deals_won"], [float(r["deals_won"]) for r in history], PALETTE[1])],
        f"{t['capacity_jobs']} / {t['deals_won']}", value_format=lambda v: fmt.number(v),
    )
    last = history[-1]
    plan = [(t[label], fmt.number(last.get(needed)), fmt.number(last.get(actual)))
            for label, needed, actual in (
                ("deals_won", "required_deals", "deals_won"),
                ("meetings_held", "required_meetings_held", "meetings_held"),
                ("meetings_booked", "required_meetings_booked", "meetings_booked"),
                ("contacts", "required_contacts", "incoming_contacts"),
            )]
    plan += [(t[label], fmt.number(last.get(needed), 1), fmt.number(last.get(actual)))
             for label, needed, actual in (("managers", "required_managers", "managers_active"),
                                           ("operators", "required_operators", "operators_active"))]
    return {"load_chart": Markup(load_chart), "jobs_chart": Markup(jobs_chart), "plan": plan,
            "load": fmt.percent(last["production_load"]), "target": fmt.percent(target)}


def channel_plan_section(con, month, fmt: Formatter) -> list[list[str]]:
    """Per channel: the contacts and budget it must bring to fill capacity, against what it brought."""
    rows = rows_of(con, "select channel, required_contacts, incoming_contacts, required_budget, acquisition_cost "
                        "from snapshot.marts.capacity_plan_by_channel where month = ? "
                        "order by required_budget desc nulls last, channel", [month])
    return [[row["channel"], fmt.number(row["required_contacts"]), fmt.number(row["incoming_contacts"]),
             fmt.number(row["required_budget"]), fmt.number(row["acquisition_cost"])] for row in rows]


def unit_economics_section(con, month, fmt: Formatter, t: dict, has_mart: bool) -> dict:
    base = (("acquisition_cost", "money"), ("deals_won", "count"), ("cost_per_contact", "money"),
            ("cost_per_deal", "money"), ("average_check", "money"), ("romi", "rate"))
    rows = rows_of(con, "select channel, acquisition_cost, deals_won, cost_per_contact, cost_per_deal, average_check, "
                        "romi from snapshot.marts.kpi_monthly where month = ? order by cost_per_deal nulls last",
                   [month])
    columns = list(base)
    if has_mart:
        extra = {r["channel"]: r for r in rows_of(con, "select * from snapshot.marts.unit_economics where month = ?",
                                                   [month])}
        present = [(c, kind) for c, kind in UNIT_ECONOMICS_EXTRA if any(c in r for r in extra.values())]
        columns += present
        rows = [{**row, **{c: extra.get(row["channel"], {}).get(c) for c, _ in present}} for row in rows]
    return {"headers": [t[c] for c, _ in columns],
            "rows": [{"channel": r["channel"], "cells": [fmt.value(r[c], kind) for c, kind in columns]} for r in rows]}


RUN_FACTS = ("status", "started_at", "duration_seconds", "reason", "checks", "blocking_failures", "drift_alerts")


def run_section(report: dict | None, t: dict) -> list[tuple[str, str]] | None:
    """The run report's headline facts (docs/run_report.md): outcome, timing, checks by status, what blocked
    the publish, drift alerts."""
    if report is None:
        return None
    facts = []
    for key, label in zip(RUN_FACTS, t["run_facts"]):
        value = report.get(key)
        if value in (None, "", [], {}):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{count} {name}" for name, count in value.items() if count)
        elif isinstance(value, list):
            value = "; ".join(item.get("summary", str(item)) if isinstance(item, dict) else str(item)
                              for item in value)
        facts.append((label, str(value)))
    return facts


def render_dashboard(data_dir: Path, language: str) -> str:
    published = data_dir / "published"
    fmt, t = Formatter(language), LABELS[language]
    published_at = datetime.fromtimestamp(snapshot_path(published).stat().st_mtime)
    # the folder's name, not its path: the page is sent around, and the path is of one machine
    page = {"t": t, "language": language, "data_dir": data_dir.resolve().name,
            "published_at": published_at.strftime("%Y-%m-%d %H:%M"), "run": run_section(read_run_report(
                data_dir / "logs"), t)}
    with connect_snapshot(published) as con:
        marts = snapshot_marts(con)
        month = last_complete_month(con)
        page["month"] = fmt.month(month) if month else None
        if month is not None:
            alerts = alerts_section(con, fmt, t) if "alerts" in marts else None
            page.update(
                funnel=funnel_section(con, month, fmt, t), kpi=kpi_section(con, month, fmt, t),
                untraced=untraced_note(con, month, fmt, t),
                alerts=alerts, trends=trends_section(con, month, fmt, t, [a["raw"] for a in alerts or []]),
                channel_trends=channel_trends_section(con, month, fmt, t, [a["raw"] for a in alerts or []]),
                plan=plan_section(con, fmt, t) if "plan_vs_fact" in marts else None,
                capacity=capacity_section(con, month, fmt, t),
                channel_plan=channel_plan_section(con, month, fmt) if "capacity_plan_by_channel" in marts else None,
                unit_economics=unit_economics_section(con, month, fmt, t, "unit_economics" in marts),
            )
    environment = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=select_autoescape(["j2"]))
    return environment.get_template(TEMPLATE).render(**page)


def write_dashboard(data_dir: Path, language: str) -> Path:
    """Writes published/dashboard.html in one rename, like the snapshot beside it."""
    target = data_dir / "published" / "dashboard.html"
    temporary = target.with_name(".dashboard.html.tmp")
    try:
        temporary.write_text(render_dashboard(data_dir, language), encoding="utf-8")
    except OSError:  # a full disk: the dashboard published before stays whole
        temporary.unlink(missing_ok=True)
        raise
    os.replace(temporary, target)
    return target
