"""Calendar and time helpers of the demo generator. Moments are whole seconds since 1970-01-01 (int64),
days are numpy datetime64[D] arrays."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta

import numpy as np

from orchestration.demo.parameters import GROWTH_PER_YEAR, MONTH_SEASONALITY, WEEKDAY_DEMAND

DAY = 86_400
HOUR = 3_600
EPOCH = date(1970, 1, 1)


def seconds_at(day: date) -> int:
    """The moment 00:00:00 of a day."""
    return (day - EPOCH).days * DAY


def end_of_day(day: date) -> int:
    """The moment 23:59:59 of a day."""
    return seconds_at(day) + DAY - 1


def last_day_of_month(first_day: date) -> date:
    return date(first_day.year, first_day.month, calendar.monthrange(first_day.year, first_day.month)[1])


def months_between(start: date, end: date) -> Iterator[tuple[date, date]]:
    """(first day, last day) of every calendar month from start's to end's; the last one ends at `end`."""
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        first = date(year, month, 1)
        yield first, min(last_day_of_month(first), end)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def period_of(end_date: date, years: int) -> tuple[date, date]:
    """History = first day of the month after (end_date minus `years` years) .. end_date."""
    year, month = end_date.year - years, end_date.month + 1
    if month == 13:
        year, month = year + 1, 1
    return date(year, month, 1), end_date


def export_days(start: date, end: date) -> list[date]:
    """The days of the weekly CRM exports: every Sunday of the period, plus its last day."""
    period = (start + timedelta(i) for i in range((end - start).days + 1))
    days = [day for day in period if day.weekday() == 6]
    if not days or days[-1] != end:
        days.append(end)
    return days


def demand_by_day(days: np.ndarray, start: date) -> np.ndarray:
    """Relative demand of each day (datetime64[D] array): season, weekday, growth and holidays."""
    month_index = days.astype("datetime64[M]").astype(int) % 12   # 0 = January
    weekday = (days.astype(int) + 3) % 7                           # 0 = Monday (1970-01-01 was a Thursday)
    day_of_month = (days - days.astype("datetime64[M]")).astype(int) + 1
    weights = MONTH_SEASONALITY[month_index] * WEEKDAY_DEMAND[weekday]
    weights = weights * (1.0 + GROWTH_PER_YEAR * (days - np.datetime64(start)).astype(int) / 365.25)
    # New Year holidays
    weights = np.where((month_index == 0) & (day_of_month <= 8), weights * 0.4, weights)
    # pre-New-Year cleaning
    before_new_year = (month_index == 11) & (day_of_month >= 20) & (day_of_month <= 30)
    weights = np.where(before_new_year, weights * 1.3, weights)
    return weights


def is_working_day(days: np.ndarray) -> np.ndarray:
    return ((days.astype(int) + 3) % 7) < 5
