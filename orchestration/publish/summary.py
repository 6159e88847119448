"""What `membrana run` prints and the Dagster UI shows of the KPIs, read from the published snapshot
(read-only, so it never waits for a running build)."""

from pathlib import Path

from orchestration.publish.snapshot import connect_snapshot, last_complete_month, snapshot_path

SUMMARY_COLUMNS = [
    ("channel", "channel", "{}"),
    ("incoming_contacts", "ПО", "{:,.0f}"),
    ("fixed_leads", "fixed", "{:,.0f}"),
    ("meetings_held", "held", "{:,.0f}"),
    ("deals_won", "КО", "{:,.0f}"),
    ("cost_per_contact", "СК", "{:,.0f}"),
    ("fixation_rate", "КФ", "{:.0%}"),
    ("booking_rate", "ЭППО", "{:.0%}"),
    ("no_show_rate", "no-show", "{:.0%}"),
    ("closing_rate", "КЗ", "{:.0%}"),
    ("conversion_rate", "КК", "{:.1%}"),
    ("average_check", "СЧ", "{:,.0f}"),
    ("romi", "ROMI", "{:.0%}"),
]


def format_cell(value, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)


def kpi_summary(published: Path, seconds: float) -> str:
    with connect_snapshot(published) as con:
        month = last_complete_month(con)
        if month is None:
            return f"Published in {seconds:.1f} s, but no month is complete yet: {published}"
        columns = ", ".join(column for column, _, _ in SUMMARY_COLUMNS)
        rows = con.execute(
            f"select {columns} from snapshot.marts.kpi_monthly where month = ? order by revenue desc nulls last", [month]
        ).fetchall()
        load = con.execute(
            "select capacity_jobs, deals_won, production_load from snapshot.marts.capacity_plan where month = ?", [month]
        ).fetchone()
        quarantined = con.execute("select count(*) from snapshot.audit.quarantine").fetchone()[0]
    table = [[label for _, label, _ in SUMMARY_COLUMNS]]
    table += [[format_cell(value, pattern) for value, (_, _, pattern) in zip(row, SUMMARY_COLUMNS)] for row in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(SUMMARY_COLUMNS))]
    lines = [f"KPIs for {month:%B %Y} (last complete month), per channel:"]
    lines += ["  " + "  ".join(cell.rjust(width) if i else cell.ljust(width)
                               for i, (cell, width) in enumerate(zip(line, widths))) for line in table]
    lines.append(
        f"Production: {load[1]:,} deals of a capacity of {load[0]:,.0f} jobs "
        f"(load {format_cell(load[2], '{:.0%}')})."
    )
    lines.append(f"Quarantined raw rows (audit.quarantine): {quarantined:,}.")
    lines.append(f"Published in {seconds:.1f} s: {snapshot_path(published)} (schema marts) "
                 f"and {published / 'parquet'}/<mart>.parquet")
    return "\n".join(lines)


def kpi_markdown(published: Path) -> str:
    """The last complete month's KPI table as Markdown, for the Dagster UI's materialization metadata."""
    with connect_snapshot(published) as con:
        month = last_complete_month(con)
        if month is None:
            return "No month is complete yet."
        columns = ", ".join(column for column, _, _ in SUMMARY_COLUMNS)
        rows = con.execute(
            f"select {columns} from snapshot.marts.kpi_monthly where month = ? order by revenue desc nulls last", [month]
        ).fetchall()
    lines = [f"**{month:%B %Y}** (last complete month)", "",
             "| " + " | ".join(label for _, label, _ in SUMMARY_COLUMNS) + " |",
             "|" + "---|" * len(SUMMARY_COLUMNS)]
    lines += ["| " + " | ".join(format_cell(value, pattern) for value, (_, _, pattern) in zip(row, SUMMARY_COLUMNS))
              + " |" for row in rows]
    return "\n".join(lines)
