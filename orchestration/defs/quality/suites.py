"""Great Expectations suites for the public marts, kept as code (GE 1.x), one per mart.

Severity, on purpose: `critical` blocks the publish (a broken grain, a negative count or amount, a
missing column: the numbers would be wrong); `warning` is reported and the marts are published (pass
rates above 1 can be legitimate, see _marts__models.yml). A mart without a suite of its own gets the
minimal one (it has rows: warning) until it is given one here.
"""

# GE through our runner module, which switches GE's usage statistics off before importing it.
from orchestration.lib.quality.expectations import gx

expect = gx.expectations

FUNNEL_COUNTS = ("incoming_contacts", "fixed_leads", "meetings_booked", "meetings_held", "no_shows", "deals_won")
FUNNEL_MONEY = ("revenue", "ad_spend", "other_costs", "fixation_cost", "acquisition_cost")


def grain(*columns: str) -> list:
    key = [expect.ExpectColumnValuesToNotBeNull(column=column) for column in columns]
    if len(columns) == 1:
        return [*key, expect.ExpectColumnValuesToBeUnique(column=columns[0])]
    return [*key, expect.ExpectCompoundColumnsToBeUnique(column_list=list(columns))]


def columns_exist(*columns: str) -> list:
    return [expect.ExpectColumnToExist(column=column) for column in columns]


def at_least(minimum: float, *columns: str, severity: str = "critical") -> list:
    return [expect.ExpectColumnValuesToBeBetween(column=column, min_value=minimum, severity=severity)
            for column in columns]


def pass_rates(*columns: str) -> list:
    return [expect.ExpectColumnValuesToBeBetween(column=column, min_value=0, max_value=1, severity="warning")
            for column in columns]


def has_rows(severity: str = "critical") -> list:
    return [expect.ExpectTableRowCountToBeBetween(min_value=1, severity=severity)]


def not_below(column_a: str, column_b: str) -> gx.expectations.Expectation:
    return expect.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=column_a, column_B=column_b, or_equal=True, ignore_row_if="either_value_is_missing"
    )


def suite(name: str, expectations: list) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=name, expectations=expectations)


def funnel_daily_suite() -> gx.ExpectationSuite:
    return suite("funnel_daily", [
        *has_rows(),
        *columns_exist("date", "channel", *FUNNEL_COUNTS, *FUNNEL_MONEY),
        *grain("date", "channel"),
        *at_least(0, *FUNNEL_COUNTS, *FUNNEL_MONEY),
        # acquisition cost includes the ad spend: less would mean a term went missing.
        not_below("acquisition_cost", "ad_spend"),
    ])


def kpi_monthly_suite() -> gx.ExpectationSuite:
    return suite("kpi_monthly", [
        *has_rows(),
        *columns_exist("month", "channel", *FUNNEL_COUNTS, *FUNNEL_MONEY),
        *grain("month", "channel"),
        *at_least(0, *FUNNEL_COUNTS, *FUNNEL_MONEY, "cost_per_contact", "average_check", "cost_per_deal"),
        # revenue is never negative, so (revenue × margin − cost) / cost is never below −1.
        *at_least(-1, "romi"),
        *pass_rates("fixation_rate", "booking_rate", "no_show_rate", "closing_rate", "conversion_rate"),
        not_below("acquisition_cost", "ad_spend"),
    ])


def capacity_plan_suite() -> gx.ExpectationSuite:
    return suite("capacity_plan", [
        *has_rows(),
        *grain("month"),
        *at_least(0, "capacity_jobs", "production_load", "incoming_contacts", "meetings_booked", "meetings_held",
                  "deals_won", "revenue", "required_deals", "required_meetings_held", "required_meetings_booked",
                  "required_contacts", "required_managers", "required_operators"),
        *pass_rates("booking_rate", "no_show_rate", "closing_rate"),
    ])


def capacity_plan_by_channel_suite() -> gx.ExpectationSuite:
    return suite("capacity_plan_by_channel", [
        *has_rows(),
        *grain("month", "channel"),
        *at_least(0, "incoming_contacts", "deals_won", "revenue", "acquisition_cost", "required_contacts",
                  "required_budget"),
        # a channel's share of the month's contacts: a share, by construction
        expect.ExpectColumnValuesToBeBetween(column="contact_share", min_value=0, max_value=1),
    ])


def membranes_by_employee_suite() -> gx.ExpectationSuite:
    return suite("membranes_by_employee", [
        *grain("month", "role", "employee_id"),
        *at_least(0, "entered", "passed"),
        *pass_rates("pass_rate"),
    ])


def contact_linking_monthly_suite() -> gx.ExpectationSuite:
    return suite("contact_linking_monthly", [
        *grain("month", "channel"),
        *at_least(0, "incoming_contacts", "contacts_with_lead_id", "contacts_linked_by_client_key",
                  "contacts_unlinked", "leads_without_contact"),
        *pass_rates("unlinked_share"),
    ])


def profit_drivers_suite() -> gx.ExpectationSuite:
    return suite("profit_drivers", [
        *grain("month", "channel"),
        *at_least(0, "incoming_contacts", "deals_won", "revenue", "conversion", "average_check",
                  "purchases_per_client"),
    ])


def plan_vs_fact_suite() -> gx.ExpectationSuite:
    # Empty without config/plan.csv: no row-count expectation.
    return suite("plan_vs_fact", [
        *grain("month", "channel"),
        *at_least(0, "actual_contacts", "actual_deals", "actual_revenue", "actual_budget"),
    ])


def lead_qualification_suite() -> gx.ExpectationSuite:
    return suite("lead_qualification", [
        *grain("month", "channel"),
        *at_least(0, "leads", "mql", "sal"),
        *pass_rates("mql_rate", "acceptance_rate"),
    ])


def clients_suite() -> gx.ExpectationSuite:
    return suite("clients", [
        *grain("client_id"),
        *at_least(0, "touches", "channels_touched", "deals_won", "revenue"),
    ])


def clients_monthly_suite() -> gx.ExpectationSuite:
    return suite("clients_monthly", [
        *grain("month", "channel"),
        *at_least(0, "new_clients", "returning_clients", "deals_won", "repeat_deals_won", "revenue",
                  "returning_client_revenue"),
        not_below("deals_won", "repeat_deals_won"),
        *pass_rates("recurring_revenue_share"),
    ])


def unit_economics_suite() -> gx.ExpectationSuite:
    return suite("unit_economics", [
        *grain("month", "channel"),
        *at_least(0, "revenue", "acquisition_cost", "new_clients", "cac", "cohort_deals_won",
                  "cohort_repeat_purchases", "cohort_revenue", "payback_months"),
    ])


def funnel_cohorts_suite() -> gx.ExpectationSuite:
    # A cohort follows its own leads, so each membrane can only narrow: held ≤ booked ≤ fixed, won ≤ held.
    return suite("funnel_cohorts", [
        *grain("cohort_month", "channel", "week_number"),
        *at_least(0, "week_number", "fixed_leads", "meetings_booked", "meetings_held", "deals_won"),
        not_below("fixed_leads", "meetings_booked"),
        not_below("meetings_booked", "meetings_held"),
        not_below("meetings_held", "deals_won"),
        *pass_rates("booked_rate", "conversion_rate"),
    ])


def attribution_suite() -> gx.ExpectationSuite:
    return suite("attribution", [
        *grain("month", "channel"),
        *at_least(0, "deals_won", "revenue", "first_touch_deals", "first_touch_revenue", "last_touch_deals",
                  "last_touch_revenue", "linear_deals", "linear_revenue", "position_based_deals",
                  "position_based_revenue"),
    ])


def stage_velocity_suite() -> gx.ExpectationSuite:
    return suite("stage_velocity", [
        *grain("month", "channel"),
        *at_least(0, "fixed_leads", "meetings_held", "acquisition_cost", "cost_per_held_meeting"),
    ])


def alerts_suite() -> gx.ExpectationSuite:
    return suite("alerts", [
        *grain("period_grain", "channel", "membrane"),
        expect.ExpectColumnValuesToBeInSet(column="period_grain", value_set=["week", "month"]),
        expect.ExpectColumnValuesToBeInSet(
            column="alert_status", value_set=["worse", "better", "within_limits", "not_enough_volume"]
        ),
        *at_least(0, "numerator", "denominator", "history_periods"),
        not_below("upper_limit", "lower_limit"),
        *pass_rates("rate"),
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
}


def suite_for(mart: str) -> gx.ExpectationSuite:
    if mart in SUITES:
        return SUITES[mart]()
    return suite(mart, has_rows(severity="warning"))
