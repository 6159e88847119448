import dataclasses
import json

import pytest

from orchestration.planning.planner import (
    PLAN_KEYS,
    PlanInputError,
    PlanInputs,
    parse_plan_args,
    plan,
    validate,
)

# The shipped capacity.csv (10 units, 2 jobs per unit per shift, 22 days, 8 h shifts, 1.5 h meetings,
# 6 min calls) with round rates.
SHIPPED = PlanInputs(
    units=10,
    jobs_per_unit=2,
    working_days=22,
    shift_hours=8,
    meeting_hours=1.5,
    call_minutes=6,
    booking_rate=0.5,
    no_show_rate=0.12,
    closing_rate=0.4,
)


def test_plan_works_backwards_from_capacity():
    result = plan(SHIPPED)
    assert result["required_deals"] == pytest.approx(440)  # 10 units x 2 x 22 days
    assert result["required_meetings_held"] == pytest.approx(1100)  # 440 / 0.4 closing
    assert result["required_meetings_booked"] == pytest.approx(1250)  # 1100 / (1 - 0.12)
    assert result["required_contacts"] == pytest.approx(2500)  # 1250 / 0.5 booking
    # 1100 held / 22 days = 50 meetings a day; one manager holds 8 / 1.5 = 5.333 a shift -> 9.375
    assert result["required_managers"] == pytest.approx(9.375)
    # 2500 / 22 = 113.64 calls a day; one operator makes 8 / (6 / 60) = 80 a shift -> 1.4205
    assert result["required_operators"] == pytest.approx(2500 / 22 / 80)


def test_plan_with_no_losses_needs_exactly_the_capacity():
    # Every contact books, every booking shows, every meeting closes: 1 x 1 x 20 = 20 of each.
    perfect = dataclasses.replace(
        SHIPPED,
        units=1,
        jobs_per_unit=1,
        working_days=20,
        booking_rate=1,
        no_show_rate=0,
        closing_rate=1,
        shift_hours=8,
        meeting_hours=2,
        call_minutes=30,
    )
    result = plan(perfect)
    assert [result[key] for key in PLAN_KEYS[:4]] == pytest.approx([20, 20, 20, 20])
    assert result["required_managers"] == pytest.approx(0.25)  # 20 / 20 days / (8 / 2 meetings a shift)
    assert result["required_operators"] == pytest.approx(0.0625)  # 20 / 20 / (8 / 0.5 calls a shift)


def test_plan_is_unrounded_and_json_ready():
    result = plan(SHIPPED)
    assert tuple(result) == PLAN_KEYS
    assert set(json.loads(json.dumps(result))) == {
        "required_deals",
        "required_meetings_held",
        "required_meetings_booked",
        "required_contacts",
        "required_managers",
        "required_operators",
    }
    assert result["required_operators"] != round(result["required_operators"], 2)


def test_good_inputs_pass_validation_including_the_edges():
    validate(SHIPPED)
    validate(dataclasses.replace(SHIPPED, booking_rate=1, closing_rate=1, no_show_rate=0))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"closing_rate": 1.5}, "--closing-rate must be in (0, 1], got 1.5"),
        ({"closing_rate": 0}, "--closing-rate must be in (0, 1], got 0"),
        ({"booking_rate": -0.1}, "--booking-rate must be in (0, 1], got -0.1"),
        ({"no_show_rate": 1}, "--no-show-rate must be in [0, 1), got 1 "),
        ({"no_show_rate": -0.2}, "--no-show-rate must be in [0, 1), got -0.2"),
        ({"units": -3}, "--units must be greater than 0, got -3"),
        ({"jobs_per_unit": 0}, "--jobs-per-unit must be greater than 0, got 0"),
        ({"working_days": 0}, "--working-days must be greater than 0, got 0"),
        ({"shift_hours": -8}, "--shift-hours must be greater than 0, got -8"),
        ({"meeting_hours": 0}, "--meeting-hours must be greater than 0, got 0"),
        ({"call_minutes": 0}, "--call-minutes must be greater than 0, got 0"),
        ({"closing_rate": None}, "--closing-rate is missing"),
    ],
)
def test_bad_inputs_are_refused_with_a_one_line_reason(change, message):
    with pytest.raises(PlanInputError) as refused:
        validate(dataclasses.replace(SHIPPED, **change))
    assert str(refused.value).startswith(message)
    assert "\n" not in str(refused.value)


def test_a_no_show_rate_of_one_explains_the_division_by_zero():
    with pytest.raises(PlanInputError, match=r"1 would divide by zero"):
        validate(dataclasses.replace(SHIPPED, no_show_rate=1))


def test_plan_input_error_is_a_value_error():
    assert issubclass(PlanInputError, ValueError)


def test_parse_plan_args_returns_given_values_and_none_for_the_rest():
    given, as_json = parse_plan_args(
        ["--units", "12", "--closing-rate", "0.35", "--no-show-rate=0.1", "--json"]
    )
    assert given == {
        "units": 12.0,
        "jobs_per_unit": None,
        "working_days": None,
        "shift_hours": None,
        "meeting_hours": None,
        "call_minutes": None,
        "booking_rate": None,
        "no_show_rate": 0.1,
        "closing_rate": 0.35,
    }
    assert as_json is True


def test_parse_plan_args_without_flags_takes_everything_from_the_warehouse():
    given, as_json = parse_plan_args([])
    assert set(given) == {field.name for field in dataclasses.fields(PlanInputs)}
    assert all(value is None for value in given.values())
    assert as_json is False


def test_a_negative_flag_value_parses_so_that_validate_can_name_it():
    given, _ = parse_plan_args(["--units", "-5"])
    with pytest.raises(PlanInputError, match="--units must be greater than 0, got -5"):
        validate(dataclasses.replace(SHIPPED, units=given["units"]))


@pytest.mark.parametrize("value", ["ten", "nan", "inf", ""])
def test_a_non_numeric_flag_value_is_a_one_line_error(value):
    with pytest.raises(PlanInputError) as refused:
        parse_plan_args(["--booking-rate", value])
    assert str(refused.value) == f"--booking-rate must be a number, got {value!r}"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--units"], "--units expected one argument"),
        (["--unit", "3"], "unrecognized arguments: --unit 3"),
    ],
)
def test_other_argument_mistakes_raise_instead_of_exiting(argv, message):
    with pytest.raises(PlanInputError, match=message):
        parse_plan_args(argv)
