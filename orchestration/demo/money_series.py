"""The demo company's money over time: the USD->RUB rate, the daily ad spend of its campaigns and its
monthly other costs. Each series draws from its own random generator (per month for ad spend and
costs), so the CRM history and these series do not shift each other."""

from __future__ import annotations

from datetime import date

import numpy as np

from orchestration.demo import parameters as company
from orchestration.demo.dates import demand_by_day, last_day_of_month


def usd_rub_walk(seed: int, first: date, last: date) -> tuple[np.ndarray, np.ndarray]:
    """USD->RUB for every calendar day from `first` to `last` (mean-reverting random walk)."""
    rng = np.random.default_rng([seed, 2])
    days = np.arange(np.datetime64(first), np.datetime64(last) + 1)
    count = len(days)
    log_rates = np.empty(count)
    level = np.log(company.USD_RUB_START)
    shocks = rng.standard_normal(count) * 0.0055
    for i in range(count):  # one step per calendar day (a few hundred), not per contact
        level += shocks[i] - 0.01 * (level - np.log(company.USD_RUB_START))
        log_rates[i] = level
    return days, np.round(np.exp(log_rates), 4)


def ad_spend_month(seed: int, month_index: int, first_day: date, last_day: date, scale: float,
                   rate_days: np.ndarray, rates: np.ndarray) -> dict[str, np.ndarray]:
    """Every active campaign's spend, clicks and impressions on each day of a month, by day then
    campaign; a campaign billed in USD is converted at the day's rate."""
    rng = np.random.default_rng([seed, 3, month_index])
    days = np.arange(np.datetime64(first_day), np.datetime64(last_day) + 1)
    weekday_pattern = demand_by_day(days, first_day) / company.MONTH_SEASONALITY[first_day.month - 1]
    season = company.MONTH_SEASONALITY[first_day.month - 1]
    days_in_month = last_day_of_month(first_day).day
    rows = {column: [] for column in ("day", "campaign", "cost_cents", "impressions", "clicks")}
    for index, ad in enumerate(company.AD_CAMPAIGNS):
        if ad.active_months is not None and first_day.month not in ad.active_months:
            continue
        noise = np.exp(0.12 * rng.standard_normal(len(days)))
        rub = (company.ONLINE_BUDGET_RUB * scale * season * ad.budget_share / days_in_month * weekday_pattern
               * noise)
        clicks = np.maximum(np.round(rub / ad.cost_per_click_rub
                                     * np.exp(0.10 * rng.standard_normal(len(days)))), 0)
        impressions = np.round(clicks / ad.click_through_rate * np.exp(0.10 * rng.standard_normal(len(days))))
        if ad.currency == "USD":
            rate = rates[(days - rate_days[0]).astype(int)]
            cost = np.round(rub / rate, 2)
        else:
            cost = np.round(rub, 2)
        rows["day"].append(days)
        rows["campaign"].append(np.full(len(days), index))
        rows["cost_cents"].append(np.round(cost * 100).astype(np.int64))
        rows["impressions"].append(impressions.astype(np.int64))
        rows["clicks"].append(clicks.astype(np.int64))
    spend = {column: np.concatenate(parts) for column, parts in rows.items()}
    order = np.lexsort((spend["campaign"], spend["day"]))
    return {column: values[order] for column, values in spend.items()}


def costs_month(seed: int, month_index: int, first_day: date, scale: float) -> tuple[list, np.ndarray]:
    """The cost items active in a month and their amounts in RUB (rounded to 100)."""
    rng = np.random.default_rng([seed, 4, month_index])
    items = [item for item in company.COST_ITEMS
             if item.active_months is None or first_day.month in item.active_months]
    season = company.MONTH_SEASONALITY[first_day.month - 1]
    base = np.array([item.rub_per_month * (season if item.seasonal else 1.0) for item in items])
    return items, np.round(base * scale * np.exp(0.05 * rng.standard_normal(len(items))), -2)
