"""Great Expectations suites for the public marts, kept as code (GE 1.x), one per mart.

They hold every per-column rule of the marts (keys, not-null, never negative, shares, closed
vocabularies, one column never above another): one pandas pass per mart, where the same rules as
dbt tests cost one dbt node each. Rules across models (reconciliations, relationships to the
channel list) stay dbt tests (dbt_project/tests/singular, models/marts/*/_<mart>.yml).

Severity, on purpose: `critical` blocks the publish (a broken grain, a NULL or negative count or
amount, a share outside [0, 1], a value outside a closed vocabulary, a missing column: the numbers
would be wrong); `warning` is reported and the marts are published. Pass rates are warnings: every
event is counted on its own day (CONTRACT.md), not per cohort, so at month × channel grain a rate can
legitimately pass 1 (deals closed in March from meetings held in February, a lead that booked twice).
Won deals with no lead no longer push a rate past 1: they are counted apart (deals_without_lead) and
left out of the rates. The dbt test pass_rates_between_zero_and_one checks the same columns at the same
severity (dbt_project/models/marts/*/_<mart>.yml). A mart without a suite of its own gets the minimal one (it has rows: warning)
until it is given one here.
"""

import yaml

from orchestration.data_folder import DBT_PROJECT_DIR

# GE through our runner module, which switches GE's usage statistics off before importing it.
from orchestration.quality.expectations import gx

expect = gx.expectations

# The funnel's additive measures, declared once for dbt and for us: vars.funnel_measures of dbt_project.yml.
FUNNEL_MEASURES = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"][
    "funnel_measures"]
FUNNEL_COUNTS = tuple(FUNNEL_MEASURES["counts"])
# the money summed from events, then the costs funnel_daily prices per day (fixation, and their total)
FUNNEL_MONEY = (*FUNNEL_MEASURES["money"], "fixation_cost", "acquisition_cost")


def grain(*columns: str) -> list:
    key = [expect.ExpectColumnValuesToNotBeNull(column=column) for column in columns]
    if len(columns) == 1:
        return [*key, expect.ExpectColumnValuesToBeUnique(column=columns[0])]
    return [*key, expect.ExpectCompoundColumnsToBeUnique(column_list=list(columns))]


def not_null(*columns: str) -> list:
    return [expect.ExpectColumnValuesToNotBeNull(column=column) for column in columns]


def counts(*columns: str) -> list:
    """Always there and never negative: counts and money."""
    return [*not_null(*columns), *at_least(0, *columns)]


def columns_exist(*columns: str) -> list:
    return [expect.ExpectColumnToExist(column=column) for column in columns]


def at_least(minimum: float, *columns: str, severity: str = "critical") -> list:
    return [expect.ExpectColumnValuesToBeBetween(column=column, min_value=minimum, severity=severity)
            for column in columns]


def pass_rates(*columns: str) -> list:
    return [expect.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=1, severity="warning")
            for column in columns]


def shares(*columns: str) -> list:
    """A share of a whole, by construction: outside [0, 1] is a bug (critical, unlike pass rates)."""
    return [expect.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=1) for column in columns]


def one_of(column: str, values: list[str]) -> gx.expectations.Expectation:
    return expect.ExpectColumnValuesToBeInSet(column=column, value_set=values)


def has_rows(severity: str = "critical") -> list:
    return [expect.ExpectTableRowCountToBeBetween(min_value=1, severity=severity)]


def not_below(column_a: str, column_b: str) -> gx.expectations.Expectation:
    return expect.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=column_a, column_B=column_b, or_equal=True, ignore_row_if="either_value_is_missing"
    )


def untraced_within_totals() -> list:
    """The deals no lead traces, and their revenue, are a part of the totals, never more."""
    return [not_below("deals_won", "deals_without_lead"), not_below("revenue", "revenue_without_lead")]


def suite(name: str, expectations: list) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=name, expectations=expectations)


def funnel_daily_suite() -> gx.ExpectationSuite:
    return suite("funnel_daily", [
        *has_rows(),
        *columns_exist("date", "channel", *FUNNEL_COUNTS, *FUNNEL_MONEY),
        *grain("date", "channel"),
        *counts(*FUNNEL_COUNTS, *FUNNEL_MONEY),
        # acquisition cost includes the ad spend: less would mean a term went missing.
        not_below("acquisition_cost", "ad_spend"),
        *untraced_within_totals(),
    ])


def kpi_monthly_suite() -> gx.ExpectationSuite:
    return suite("kpi_monthly", [
        *has_rows(),
        *columns_exist("month", "channel", *FUNNEL_COUNTS, *FUNNEL_MONEY),
        *grain("month", "channel"),
        *counts(*FUNNEL_COUNTS, *FUNNEL_MONEY),
        *at_least(0, "cost_per_contact", "average_check", "cost_per_deal"),
        # revenue is never negative, so (revenue × margin − cost) / cost is never below −1.
        *at_least(-1, "romi"),
        *pass_rates("fixation_rate", "booking_rate", "no_show_rate", "closing_rate", "conversion_rate"),
        not_below("acquisition_cost", "ad_spend"),
        *untraced_within_totals(),
    ])


def metrics_daily_suite() -> gx.ExpectationSuite:
    return suite("metrics_daily", [
        *has_rows(),
        *columns_exist("date", "channel", "channel_group", *FUNNEL_COUNTS, *FUNNEL_MONEY),
        *grain("date", "channel"),
        *not_null("channel_group"),
        *counts(*FUNNEL_COUNTS, *FUNNEL_MONEY),
    ])


def metric_time_spine_suite() -> gx.ExpectationSuite:
    # MetricFlow's calendar: one row per day
    return suite("metric_time_spine", [*has_rows(), *grain("date_day")])


def capacity_plan_suite() -> gx.ExpectationSuite:
    return suite("capacity_plan", [
        *has_rows(),
        *grain("month"),
        *counts("capacity_jobs", "incoming_contacts", "meetings_booked", "meetings_held", "no_shows", "deals_won",
                "revenue", "acquisition_cost", "production_units", "jobs_per_unit_per_shift", "shift_hours",
                "working_days_per_month", "meeting_hours", "call_minutes", "target_load", "fixed_costs_per_month",
                "variable_cost_per_job", "gross_margin", "managers_active", "operators_active"),
        *at_least(0, "production_load", "required_deals", "required_meetings_held", "required_meetings_booked",
                  "required_contacts", "required_managers", "required_operators", "average_check",
                  "acquisition_cost_per_deal", "production_unit_cost", "full_unit_cost"),
        *pass_rates("booking_rate", "no_show_rate", "closing_rate"),
    ])


def capacity_plan_by_channel_suite() -> gx.ExpectationSuite:
    return suite("capacity_plan_by_channel", [
        *has_rows(),
        *grain("month", "channel"),
        *counts("incoming_contacts", "deals_won", "revenue", "acquisition_cost"),
        *at_least(0, "required_contacts", "required_budget", "average_check", "acquisition_cost_per_deal",
                  "cost_per_incoming_contact", "production_unit_cost", "full_unit_cost"),
        # a channel's share of the month's contacts
        *shares("contact_share"),
    ])


def membranes_by_employee_suite() -> gx.ExpectationSuite:
    return suite("membranes_by_employee", [
        *grain("month", "role", "employee_id"),
        one_of("role", ["operator", "manager"]),
        *counts("entered", "passed"),
        *at_least(0, "pass_rate", "work_hours", "norm_hours", "workload"),
        *pass_rates("pass_rate", "peers_pass_rate"),
    ])


def contact_linking_monthly_suite() -> gx.ExpectationSuite:
    return suite("contact_linking_monthly", [
        *grain("month", "channel"),
        *at_least(0, "incoming_contacts", "contacts_with_lead_id", "contacts_linked_by_client_key",
                  "contacts_unlinked", "leads_without_contact"),
        *shares("unlinked_share"),
    ])


def profit_drivers_suite() -> gx.ExpectationSuite:
    return suite("profit_drivers", [
        *grain("month", "channel"),
        *counts("incoming_contacts", "deals_won", "revenue", "clients", "fixed_costs"),
        *at_least(0, "conversion", "average_check", "purchases_per_client"),
    ])


def plan_vs_fact_suite() -> gx.ExpectationSuite:
    # Empty without config/plan.csv: no row-count expectation.
    return suite("plan_vs_fact", [
        *grain("month", "channel"),
        *counts("actual_contacts", "actual_deals", "actual_revenue", "actual_budget"),
    ])


def lead_qualification_suite() -> gx.ExpectationSuite:
    return suite("lead_qualification", [
        *grain("month", "channel"),
        *counts("leads", "mql", "sal", "leads_with_status", "unmapped_leads", "disqualified", "rejected",
                "awaiting_sales"),
        *shares("mql_rate", "acceptance_rate", "decided_acceptance_rate"),
    ])


def clients_suite() -> gx.ExpectationSuite:
    return suite("clients", [
        *grain("client_id"),
        *counts("touches", "channels_touched", "deals_won", "revenue"),
        *not_null("gross_profit"),
    ])


def clients_monthly_suite() -> gx.ExpectationSuite:
    return suite("clients_monthly", [
        *grain("month", "channel"),
        *counts("new_clients", "returning_clients", "deals_won", "repeat_deals_won", "revenue",
                "returning_client_revenue"),
        not_below("deals_won", "repeat_deals_won"),
        *shares("recurring_revenue_share"),
    ])


def unit_economics_suite() -> gx.ExpectationSuite:
    return suite("unit_economics", [
        *grain("month", "channel"),
        *counts("revenue", "acquisition_cost", "new_clients", "cohort_deals_won", "cohort_repeat_purchases",
                "cohort_revenue"),
        *not_null("cohort_gross_profit"),
        *at_least(0, "cac", "payback_months"),
    ])


def funnel_cohorts_suite() -> gx.ExpectationSuite:
    # A cohort follows its own leads, so each membrane can only narrow: held ≤ booked ≤ fixed, won ≤ held.
    return suite("funnel_cohorts", [
        *grain("cohort_month", "channel", "week_number"),
        *counts("fixed_leads", "meetings_booked", "meetings_held", "deals_won"),
        *at_least(0, "week_number"),
        not_below("fixed_leads", "meetings_booked"),
        not_below("meetings_booked", "meetings_held"),
        not_below("meetings_held", "deals_won"),
        *shares("booked_rate", "conversion_rate"),
    ])


def attribution_suite() -> gx.ExpectationSuite:
    return suite("attribution", [
        *grain("month", "channel"),
        *counts("deals_won", "revenue", "first_touch_deals", "first_touch_revenue", "last_touch_deals",
                "last_touch_revenue", "linear_deals", "linear_revenue", "position_based_deals",
                "position_based_revenue"),
    ])


def stage_velocity_suite() -> gx.ExpectationSuite:
    return suite("stage_velocity", [
        *grain("month", "channel"),
        *counts("fixed_leads", "meetings_held", "acquisition_cost"),
        *at_least(0, "cost_per_held_meeting"),
    ])


def alerts_suite() -> gx.ExpectationSuite:
    return suite("alerts", [
        *grain("period_grain", "channel", "membrane"),
        one_of("period_grain", ["week", "month"]),
        one_of("membrane", ["fixation_rate", "booking_rate", "no_show_rate", "closing_rate"]),
        one_of("better_when", ["higher", "lower"]),
        one_of("alert_status", ["worse", "better", "within_limits", "not_enough_volume"]),
        *not_null("period_start", "period_end", "alert_status", "is_alert"),
        *counts("numerator", "denominator", "history_periods", "history_denominator"),
        not_below("upper_limit", "lower_limit"),
        *pass_rates("rate", "center_rate"),
    ])


SUITES = {
    "funnel_daily": funnel_daily_suite,
    "kpi_monthly": kpi_monthly_suite,
    "capacity_plan": capacity_plan_suite,
    "capacity_plan_by_channel": capacity_plan_by_channel_suite,
    "membranes_by_employee": membranes_by_employee_suite,
    "profit_drivers": profit_drivers_suite,
    "plan_vs_fact": plan_vs_fact_suite,
    "lead_qualification": lead_qualification_suite,
    "clients": clients_suite,
    "clients_monthly": clients_monthly_suite,
    "unit_economics": unit_economics_suite,
    "funnel_cohorts": funnel_cohorts_suite,
    "attribution": attribution_suite,
    "stage_velocity": stage_velocity_suite,
    "contact_linking_monthly": contact_linking_monthly_suite,
    "alerts": alerts_suite,
    "metrics_daily": metrics_daily_suite,
    "metric_time_spine": metric_time_spine_suite,
}


def suite_for(mart: str) -> gx.ExpectationSuite:
    if mart in SUITES:
        return SUITES[mart]()
    return suite(mart, has_rows(severity="warning"))
