"""membranes_by_employee computed independently from the landing files, in plain Python (no SQL), with
the row rules of docs/row_rules.md as reference_funnel.py implements them.

Operators: incoming contacts of their leads (contacts by received_at, leads no contact links to by
created_at) and meetings booked on their leads (by booked_at). Managers: held meetings (by
scheduled_at; the meeting's manager, else its lead's) and won deals (by closed_at; the lead's manager,
else the manager of the lead's latest held meeting). What has no person is '(unassigned)'.
"""

from collections import Counter
from datetime import date
from pathlib import Path

from tests.support.reference_funnel import (
    SourceRow,
    by_column,
    latest_versions,
    load_exchange_rates,
    parse_contact,
    parse_deal,
    parse_lead,
    parse_meeting,
    read_capacity,
    valid_rows,
)

UNASSIGNED = "(unassigned)"


def with_people(parse, columns):
    def parse_with_people(row: SourceRow) -> dict:
        return {**parse(row), **{column: row.get(column) for column in columns}}

    return parse_with_people


def month_of(day: date) -> date:
    return day.replace(day=1)


def reference_membranes(data_dir: Path, defaults_dir: Path) -> dict[tuple, tuple[int, int]]:
    """{(month, role, employee_id): (entered, passed)}"""
    base_currency, _ = read_capacity(data_dir, defaults_dir)
    rates = load_exchange_rates(data_dir, base_currency)
    contacts = latest_versions(valid_rows(data_dir, "contacts", parse_contact), by_column("contact_id"))
    leads = {
        lead["lead_id"]: lead
        for lead in latest_versions(
            valid_rows(data_dir, "leads", with_people(parse_lead, ("operator_id", "manager_id"))),
            by_column("lead_id"),
        )
    }
    meetings = latest_versions(
        valid_rows(data_dir, "meetings", with_people(parse_meeting, ("manager_id",))), by_column("meeting_id")
    )
    deals = latest_versions(valid_rows(data_dir, "deals", lambda row: parse_deal(row, rates)), by_column("deal_id"))

    entered: Counter = Counter()
    passed: Counter = Counter()

    def lead_person(lead_id: str | None, column: str) -> str:
        lead = leads.get(lead_id)
        return (lead and lead[column]) or UNASSIGNED

    linked = set()
    for contact in contacts:
        linked.add(contact["lead_id"])
        entered[(month_of(contact["received_at"].date()), "operator", lead_person(contact["lead_id"], "operator_id"))] += 1
    for lead in leads.values():
        if lead["lead_id"] not in linked:
            entered[(month_of(lead["created_at"].date()), "operator", lead["operator_id"] or UNASSIGNED)] += 1
    latest_held: dict[str, dict] = {}
    for meeting in meetings:
        passed[(month_of(meeting["booked_at"].date()), "operator", lead_person(meeting["lead_id"], "operator_id"))] += 1
        if meeting["status"] == "held":
            manager = meeting["manager_id"] or lead_person(meeting["lead_id"], "manager_id")
            entered[(month_of(meeting["scheduled_at"].date()), "manager", manager)] += 1
            previous = latest_held.get(meeting["lead_id"])
            if meeting["manager_id"] and (
                previous is None
                or (meeting["scheduled_at"].date(), meeting["meeting_id"])
                > (previous["scheduled_at"].date(), previous["meeting_id"])
            ):
                latest_held[meeting["lead_id"]] = meeting
    for deal in deals:
        if deal["status"] != "won":
            continue
        manager = lead_person(deal["lead_id"], "manager_id")
        if manager == UNASSIGNED and deal["lead_id"] in latest_held:
            manager = latest_held[deal["lead_id"]]["manager_id"]
        passed[(month_of(deal["closed_at"].date()), "manager", manager)] += 1
    return {key: (entered[key], passed[key]) for key in set(entered) | set(passed)}
