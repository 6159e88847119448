"""Rules a config file's rows must keep beyond their types: allowed values, first-of-month dates,
no negative targets, no key twice. Checked when the file is loaded, so a mistake is one line naming
the file, the line and what to fix instead of a wrong number in a mart."""

import duckdb

# Canonical stages of a lead (config/lead_statuses.csv), in funnel order; see
# dbt_project/models/marts/funnel/_lead_qualification.yml for what each one means.
LEAD_STAGES = ("lead", "disqualified", "mql", "rejected", "sal", "sql", "won", "lost")

PLAN_TARGETS = ("target_contacts", "target_deals", "target_revenue", "target_budget")

# Config columns that may be left empty (no target set).
NULLABLE_COLUMNS = {"plan": PLAN_TARGETS, "contact_linking": ("link_window_days",)}

# Files that may hold a header and no rows: no plan yet, a CRM that exports no lead statuses.
# No contact_linking row: no contact is linked by client key.
MAY_BE_EMPTY = {"plan", "lead_statuses", "contact_linking"}

# name → [(column, SQL condition a bad row meets, what is wrong)]; conditions see typed values.
ROW_RULES = {
    "plan": [
        ("month", "extract(day from try_cast(month as date)) <> 1", "is not the first day of a month"),
        ("channel", "channel is null", "is empty"),
        *[(column, f"try_cast({column} as decimal(28, 6)) < 0", "is negative") for column in PLAN_TARGETS],
    ],
    "contact_linking": [
        ("link_window_days", "try_cast(link_window_days as integer) < 0", "is negative (days after the contact)"),
    ],
    "lead_statuses": [
        ("status", "status is null", "is empty"),
        ("stage", f"lower(stage) not in ({', '.join(repr(stage) for stage in LEAD_STAGES)})",
         f"is not a canonical stage ({', '.join(LEAD_STAGES)})"),
    ],
}

# name → the columns that identify a row (compared trimmed, lowercase)
KEYS = {"plan": ("month", "channel"), "lead_statuses": ("status",)}


def first_broken_rule(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """'line N: what is wrong' for the first row of config.<name> that breaks a rule, else None."""
    numbered = f"(select row_number() over () + 1 as line, * from config.{name})"
    for column, condition, problem in ROW_RULES.get(name, ()):
        bad = con.execute(f"select line, {column} from {numbered} where {condition} order by line limit 1").fetchone()
        if bad:
            return f"line {bad[0]}: {column} {problem}" if bad[1] is None else f"line {bad[0]}: {column} {bad[1]!r} {problem}"
    key = KEYS.get(name)
    if key:
        key_sql = ", ".join(f"lower({column})" for column in key)
        twice = con.execute(
            f"""
            select line, {', '.join(key)} from (
                select *, row_number() over (partition by {key_sql} order by line) as occurrence from {numbered}
            ) where occurrence = 2 order by line limit 1
            """
        ).fetchone()
        if twice:
            return f"line {twice[0]}: {', '.join(key)} {', '.join(map(str, twice[1:]))!r} appears twice; keep one row"
    return None
