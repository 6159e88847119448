"""Random draws the simulation repeats. Each takes the generator to draw from: the output is
deterministic only as long as every draw happens in the same order."""

from __future__ import annotations

import numpy as np

from orchestration.demo.dates import DAY, HOUR


def lognormal(rng: np.random.Generator, median, sigma: float, size: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(size))


def uniform(rng: np.random.Generator, low, high, size: int) -> np.ndarray:
    return low + (high - low) * rng.random(size)


def in_office_hours(rng: np.random.Generator, moments: np.ndarray, not_before: np.ndarray) -> np.ndarray:
    """Move CRM updates to 10:00-21:00 of the same day, but never before `not_before`."""
    moved = moments // DAY * DAY + rng.integers(10 * HOUR, 21 * HOUR, size=len(moments))
    return np.maximum(moved, not_before)


def choice_by_group(rng: np.random.Generator, group: np.ndarray, groups: int, options,
                    probabilities) -> np.ndarray:
    """For every element, draw one of options[g] with probabilities probabilities[g] (g = its group)."""
    chosen = np.zeros(len(group), dtype=np.int64)
    for g in range(groups):
        members = np.flatnonzero(group == g)
        if len(members):
            chosen[members] = rng.choice(options[g], size=len(members), p=probabilities[g])
    return chosen
