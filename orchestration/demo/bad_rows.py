"""The deliberately bad rows: a dozen extra rows inserted into the written exports, each breaking exactly
one rule of docs/row_rules.md, so that the demo shows its quarantine. Each is a copy of a valid row of
the file with one thing broken; the valid rows stay as they were."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np


class BadRowKind(NamedTuple):
    entity: str
    problem: str      # what is wrong; {value} is the broken value
    rule: str         # the docs/row_rules.md rule it breaks


BAD_ROW_KINDS = [BadRowKind(*kind) for kind in (
    ("contacts", "received_at '{value}' is not a timestamp (dd.mm.yyyy hh:mm)", "received_at unparseable"),
    ("contacts", "source is empty", "source empty"),
    ("leads", "created_at '0000-00-00 00:00:00' is not a timestamp", "created_at unparseable"),
    ("meetings", "status 'done' is not a meeting status", "status not allowed"),
    ("meetings", "lead_id is empty", "lead_id empty"),
    ("meetings", "status held with an empty scheduled_at", "held/no_show without scheduled_at"),
    ("deals", "amount {value} is negative", "amount negative"),
    ("deals", "won deal with an empty amount", "won without amount"),
    ("deals", "won deal in EUR, no EUR rate", "no fx rate"),
    ("ad_spend", "cost {value} is negative", "cost negative"),
    ("costs", "period_end {value} is before period_start", "period_end before period_start"),
    ("fx_rates", "rate_to_base '{value}' is not a decimal (comma)", "rate_to_base unparseable"),
)]
# a bad CRM row gets an id of its own, far above the generated ones
BAD_ID_BASE = 999_900_000


def broken_row(kind: BadRowKind, row: dict[str, str], serial: int) -> tuple[dict[str, str], str]:
    """A copy of a valid row (column -> text) that breaks the rule of `kind`, and what is wrong with it."""
    broken = dict(row)
    value = ""
    if kind.entity == "contacts":
        broken["contact_id"] = f"C{BAD_ID_BASE + serial}"
        broken["lead_id"] = ""
        if "received_at" in kind.problem:
            day, time = broken["received_at"].split(" ")
            value = f"{day[8:10]}.{day[5:7]}.{day[0:4]} {time[:5]}"
            broken["received_at"] = value
        else:
            broken["source"] = broken["medium"] = broken["campaign"] = ""
    elif kind.entity == "leads":
        broken["lead_id"] = f"L{BAD_ID_BASE + serial}"
        broken["created_at"] = "0000-00-00 00:00:00"
    elif kind.entity == "meetings":
        broken["meeting_id"] = f"M{BAD_ID_BASE + serial}"
        if "done" in kind.problem:
            broken["status"] = "done"
        elif "lead_id" in kind.problem:
            broken["lead_id"] = ""
        else:
            broken["status"], broken["scheduled_at"] = "held", ""
    elif kind.entity == "deals":
        broken["deal_id"] = f"D{BAD_ID_BASE + serial}"
        broken["closed_at"] = broken["updated_at"]
        if "negative" in kind.problem:
            broken["status"], broken["currency"], broken["amount"] = "lost", "RUB", "-8500.00"
            value = broken["amount"]
        elif "empty amount" in kind.problem:
            broken["status"], broken["currency"], broken["amount"] = "won", "RUB", ""
        else:
            broken["status"], broken["currency"], broken["amount"] = "won", "EUR", "450.00"
    elif kind.entity == "ad_spend":
        broken["cost"] = "-" + broken["cost"]
        value = broken["cost"]
    elif kind.entity == "costs":
        broken["period_start"], broken["period_end"] = broken["period_end"], broken["period_start"]
        value = broken["period_end"]
    elif kind.entity == "fx_rates":
        value = broken["rate_to_base"].replace(".", ",")
        broken["rate_to_base"] = value
    return broken, kind.problem.format(value=value)


def csv_field(text: str) -> str:
    return f'"{text}"' if ("," in text or '"' in text) else text


def inject_bad_rows(out_dir: Path, file_names: dict[str, list[str]], seed: int) -> list[dict]:
    """Insert one row of each BAD_ROW_KINDS into a written file of its entity (a different file for each
    row of an entity, from a quarter of the history on), at a random line. Returns where each went:
    its file and 1-based line (line 1 = header)."""
    rng = np.random.default_rng([seed, 9])
    inserted = []
    used: set[str] = set()
    rows_of_entity: dict[str, int] = {}
    for kind in BAD_ROW_KINDS:
        entity = kind.entity
        number = rows_of_entity.get(entity, 0)
        rows_of_entity[entity] = number + 1
        found = file_with_rows(out_dir, entity, file_names[entity], number, used)
        if found is None:  # pragma: no cover - only with absurdly small outputs
            continue
        name, lines = found
        used.add(name)
        header = lines[0].split(",")
        line_number = int(rng.integers(2, len(lines) + 1))     # 1-based; the new row becomes this line
        copied = lines[min(line_number - 1, len(lines) - 1)]
        row = dict(zip(header, copied.split(","), strict=True))
        broken, problem = broken_row(kind, row, len(inserted) + 1)
        lines.insert(line_number - 1, ",".join(csv_field(broken[column]) for column in header))
        (out_dir / "landing" / entity / name).write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
        inserted.append({"entity": entity, "file": name, "path": f"landing/{entity}/{name}",
                         "line": line_number, "problem": problem, "rule": kind.rule})
    return inserted


def file_with_rows(out_dir: Path, entity: str, names: list[str], number: int,
                   used: set[str]) -> tuple[str, list[str]] | None:
    """The first file not used yet that has a data row, looking from (number + 1) quarters of the
    history on and then from its start; its name and lines (without the final empty one)."""
    first = (len(names) * (number + 1)) // 4
    for name in names[first:] + names[:first]:
        if name in used:
            continue
        lines = (out_dir / "landing" / entity / name).read_bytes().decode("utf-8").split("\n")
        if lines[-1] == "":
            lines.pop()
        if len(lines) >= 2:
            return name, lines
    return None
