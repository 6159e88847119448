"""The capacity planner's formulas (CONTRACT.md, `membrana plan`): pure functions, no I/O.

Works backwards from what production can do ("sell no less than we can produce"):
deals -> meetings held -> meetings booked -> contacts, and the staff those flows need.
"""

from __future__ import annotations

import argparse
import math
import re
from dataclasses import dataclass, fields

PLAN_KEYS = (
    "required_deals",
    "required_meetings_held",
    "required_meetings_booked",
    "required_contacts",
    "required_managers",
    "required_operators",
)


class PlanInputError(ValueError):
    """Bad planner input; the message is one line that names the flag."""


@dataclass(frozen=True)
class PlanInputs:
    units: float
    jobs_per_unit: float
    working_days: float
    shift_hours: float
    meeting_hours: float
    call_minutes: float
    booking_rate: float
    no_show_rate: float
    closing_rate: float


INPUT_NAMES = tuple(field.name for field in fields(PlanInputs))
POSITIVE_INPUTS = ("units", "jobs_per_unit", "working_days", "shift_hours", "meeting_hours", "call_minutes")


def flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def validate(inputs: PlanInputs) -> None:
    """Raises PlanInputError for the first input the formulas cannot use."""
    for name in INPUT_NAMES:
        if getattr(inputs, name) is None:
            raise PlanInputError(f"{flag(name)} is missing")
    for name in POSITIVE_INPUTS:
        value = getattr(inputs, name)
        if not value > 0:
            raise PlanInputError(f"{flag(name)} must be greater than 0, got {value:g}")
    for name in ("booking_rate", "closing_rate"):
        value = getattr(inputs, name)
        if not 0 < value <= 1:
            raise PlanInputError(f"{flag(name)} must be in (0, 1], got {value:g}")
    if not 0 <= inputs.no_show_rate < 1:
        raise PlanInputError(
            f"--no-show-rate must be in [0, 1), got {inputs.no_show_rate:g} "
            "(1 would divide by zero: every meeting would be missed)"
        )


def plan(inputs: PlanInputs) -> dict[str, float]:
    """The six required_* flows and staff for one period, unrounded. Call validate() first."""
    deals = inputs.units * inputs.jobs_per_unit * inputs.working_days
    meetings_held = deals / inputs.closing_rate
    meetings_booked = meetings_held / (1 - inputs.no_show_rate)
    contacts = meetings_booked / inputs.booking_rate
    meetings_per_manager_shift = inputs.shift_hours / inputs.meeting_hours
    calls_per_operator_shift = inputs.shift_hours / (inputs.call_minutes / 60)
    return {
        "required_deals": deals,
        "required_meetings_held": meetings_held,
        "required_meetings_booked": meetings_booked,
        "required_contacts": contacts,
        "required_managers": meetings_held / inputs.working_days / meetings_per_manager_shift,
        "required_operators": contacts / inputs.working_days / calls_per_operator_shift,
    }


class PlanArgumentParser(argparse.ArgumentParser):
    """Turns argparse's usage dump and exit into a PlanInputError with a one-line reason."""

    def error(self, message: str) -> None:
        # argparse says "argument --units: must be a number, got 'x'"; the flag alone reads better.
        raise PlanInputError(re.sub(r"^argument (\S+): ", r"\1 ", message))


def number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}")
    return value


def build_plan_parser() -> PlanArgumentParser:
    parser = PlanArgumentParser(
        prog="membrana plan",
        description="Flows and staff needed to fill production capacity; omitted values come from the warehouse.",
        allow_abbrev=False,
    )
    for name in INPUT_NAMES:
        parser.add_argument(flag(name), dest=name, type=number, default=None, metavar="N")
    parser.add_argument("--json", action="store_true", help="print one JSON object with the required_* keys")
    return parser


def parse_plan_args(argv: list[str]) -> tuple[dict[str, float | None], bool]:
    """({input name: value or None when omitted}, whether --json was given)."""
    arguments = build_plan_parser().parse_args(argv)
    return {name: getattr(arguments, name) for name in INPUT_NAMES}, arguments.json
