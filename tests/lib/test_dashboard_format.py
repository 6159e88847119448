"""The dashboard's figures: month-over-month change, better/worse colouring, numbers per language, axis labels."""

from decimal import Decimal

from orchestration.publish.dashboard import Formatter, change_class
from orchestration.publish.svg_charts import labelled


def test_rates_change_in_points_and_the_rest_relative():
    en = Formatter("en")
    assert en.change(Decimal("0.25"), Decimal("0.20"), "rate") == "+5.0 pp"
    assert en.change(0.18, 0.20, "rate") == "−2.0 pp"
    assert en.change(150, 120, "count") == "+25%"
    assert en.change(90, 120, "money") == "−25%"
    assert en.change(5, 0, "count") == ""  # no base to compare with
    assert en.change(None, 3, "count") == ""


def test_russian_numbers_use_a_thin_space_and_a_decimal_comma():
    ru = Formatter("ru")
    assert ru.number(1234567) == "1\u202f234\u202f567"
    assert ru.percent(0.1234, 1) == "12,3%"
    assert ru.change(0.25, 0.2, "rate") == "+5,0 п.п."


def test_green_means_better_and_for_costs_and_no_shows_lower_is_better():
    assert change_class("closing_rate", 0.5, 0.4) == "up"
    assert change_class("closing_rate", 0.3, 0.4) == "down"
    assert change_class("no_show_rate", 0.1, 0.2) == "up"
    assert change_class("cost_per_contact", 900, 800) == "down"
    assert change_class("romi", 1, None) == ""


def test_axis_labels_are_evenly_spaced_back_from_the_newest():
    assert labelled(12, most=4) == {2, 5, 8, 11}
    assert labelled(3, most=6) == {0, 1, 2}
    assert labelled(1) == {0}
