"""Writing the exports: every entity's rows as an Arrow table (straight from numpy buffers), turned into
the canonical CSV by DuckDB ``COPY``. The CSV's columns and their order are the raw contract's
(orchestration.ingest.entities); CSV_COLUMNS says how each column is made from the Arrow table."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from orchestration.demo import parameters as company
from orchestration.ingest.entities import ENTITIES

CANONICAL_COLUMNS: dict[str, list[str]] = {name: list(entity.columns) for name, entity in ENTITIES.items()}

# --------------------------------------------------------------------------------------------------
# Arrow columns
# --------------------------------------------------------------------------------------------------


def numpy_column(values: np.ndarray, arrow_type: pa.DataType, null: np.ndarray | None = None) -> pa.Array:
    """Arrow array straight from a numpy buffer (no pandas round trip); `null` marks NULLs."""
    values = np.ascontiguousarray(values)
    if null is None or not null.any():
        return pa.Array.from_buffers(arrow_type, len(values), [None, pa.py_buffer(values)])
    valid = pa.py_buffer(np.packbits(~null, bitorder="little"))
    return pa.Array.from_buffers(arrow_type, len(values), [valid, pa.py_buffer(values)],
                                 null_count=int(null.sum()))


def text_column(codes: np.ndarray, labels: list[str]) -> pa.Array:
    """Dictionary-encoded text column of labels[code]; '' labels become NULL (written as an empty field)."""
    distinct = sorted({label for label in labels if label})
    position = {label: i for i, label in enumerate(distinct)}
    lookup = np.array([position.get(label, -1) for label in labels], dtype=np.int32)
    index = lookup[codes]
    null = index < 0
    indices = numpy_column(np.where(null, 0, index).astype(np.int32), pa.int32(), null)
    return pa.DictionaryArray.from_arrays(indices, pa.array(distinct if distinct else [""], pa.string()))


def moment_column(seconds: np.ndarray) -> pa.Array:
    """Timestamps from seconds since 1970; a negative moment is NULL (not happened yet)."""
    return numpy_column(seconds.astype(np.int64), pa.timestamp("s"), seconds < 0)


def client_key_columns(client: np.ndarray, key_kind: np.ndarray) -> dict:
    """Fake but unique client keys: +79XXXXXXXXX phones and name.number@example.* e-mails.

    Both numbers are bijective scrambles of the client number, so two clients never share a key."""
    return {"key_kind": key_kind, "phone": (client * 387_420_489 + 104_729) % 1_000_000_000,
            "email_number": (client * 2_654_435_761 + 7_919) % 1_000_000_007,
            "first_name": text_column(client % len(company.FIRST_NAMES), company.FIRST_NAMES),
            "domain": text_column((client // 7) % len(company.EMAIL_DOMAINS), company.EMAIL_DOMAINS)}


def touch_columns(touch: np.ndarray) -> dict:
    return {"source": text_column(touch, [t.source for t in company.TOUCHES]),
            "medium": text_column(touch, [t.medium for t in company.TOUCHES]),
            "campaign": text_column(touch, [t.campaign for t in company.TOUCHES])}


# --------------------------------------------------------------------------------------------------
# every entity's Arrow table and how its CSV columns are made from it
# --------------------------------------------------------------------------------------------------

CLIENT_KEY_SQL = ("CASE key_kind WHEN 0 THEN '+79' || lpad(phone::VARCHAR, 9, '0') "
                  "WHEN 1 THEN first_name || '.' || email_number::VARCHAR || '@' || domain END")
LEAD_ID_SQL = "CASE WHEN lead > 0 THEN printf('L%09d', lead) END"


def money_sql(cents: str) -> str:
    return f"({cents}::DECIMAL(18,2) / 100)::DECIMAL(18,2)"


CSV_COLUMNS: dict[str, dict[str, str]] = {
    "contacts": {
        "contact_id": "printf('C%09d', id)", "received_at": "received", "contact_type": "contact_type",
        "source": "source", "medium": "medium", "campaign": "campaign", "client_key": CLIENT_KEY_SQL,
        "lead_id": LEAD_ID_SQL, "updated_at": "updated"},
    "leads": {
        "lead_id": "printf('L%09d', id)", "created_at": "created", "client_key": CLIENT_KEY_SQL,
        "source": "source", "medium": "medium", "campaign": "campaign", "status": "status",
        "operator_id": "printf('op%02d', operator + 1)",
        "manager_id": "CASE WHEN manager >= 0 THEN printf('mgr%02d', manager + 1) END",
        "updated_at": "updated"},
    "meetings": {
        "lead_id": "printf('L%09d', lead)", "meeting_id": "printf('M%09d', id)", "booked_at": "booked",
        "scheduled_at": "scheduled", "status": "status", "manager_id": "printf('mgr%02d', manager + 1)",
        "updated_at": "updated"},
    "deals": {
        "deal_id": "printf('D%09d', id)", "lead_id": LEAD_ID_SQL, "client_key": CLIENT_KEY_SQL,
        "created_at": "created", "closed_at": "closed", "status": "status",
        "amount": money_sql("amount_cents"), "currency": "currency", "updated_at": "updated"},
    "ad_spend": {
        "date": "spend_date", "platform": "platform", "campaign": "campaign", "source": "source",
        "medium": "medium", "cost": money_sql("cost_cents"), "currency": "currency",
        "impressions": "impressions", "clicks": "clicks"},
    "costs": {
        "period_start": "period_start", "period_end": "period_end", "channel": "channel",
        "cost_type": "cost_type", "amount": money_sql("amount_cents"), "currency": "currency"},
    "fx_rates": {
        "date": "rate_date", "currency": "currency",
        "rate_to_base": "(rate_ten_thousandths::DECIMAL(18,4) / 10000)::DECIMAL(12,4)"},
}


def select_sql(entity: str) -> str:
    """The CSV's columns in the contract's order, each made as CSV_COLUMNS says."""
    made = CSV_COLUMNS[entity]
    columns = ", ".join(f"{made[column]} {column}" for column in CANONICAL_COLUMNS[entity])
    return f"SELECT {columns} FROM t"


def crm_table(entity: str, versions: dict) -> pa.Table:
    """The Arrow table of a CRM export's versions (cohort.py's columns)."""
    if entity == "contacts":
        return pa.table({"id": versions["id"], "received": moment_column(versions["received"]),
                         "contact_type": text_column(versions["contact_type"], company.CONTACT_TYPES),
                         **touch_columns(versions["touch"]),
                         **client_key_columns(versions["client"], versions["key_kind"]),
                         "lead": versions["lead"], "updated": moment_column(versions["updated"])})
    if entity == "leads":
        return pa.table({"id": versions["id"], "created": moment_column(versions["created"]),
                         **client_key_columns(versions["client"], versions["key_kind"]),
                         **touch_columns(versions["touch"]),
                         "status": text_column(versions["status"], company.LEAD_STATUSES),
                         "operator": versions["operator"], "manager": versions["manager"],
                         "updated": moment_column(versions["updated"])})
    if entity == "meetings":
        return pa.table({"lead": versions["lead"], "id": versions["id"],
                         "booked": moment_column(versions["booked"]),
                         "scheduled": moment_column(versions["scheduled"]),
                         "status": text_column(versions["status"], company.MEETING_STATUSES),
                         "manager": versions["manager"], "updated": moment_column(versions["updated"])})
    if entity == "deals":
        return pa.table({"id": versions["id"], "lead": versions["lead"],
                         **client_key_columns(versions["client"], versions["key_kind"]),
                         "created": moment_column(versions["created"]),
                         "closed": moment_column(versions["closed"]),
                         "status": text_column(versions["status"], company.DEAL_STATUSES),
                         "amount_cents": versions["amount"],
                         "currency": text_column(versions["currency"], company.CURRENCIES),
                         "updated": moment_column(versions["updated"])})
    raise ValueError(entity)


def ad_spend_table(spend: dict) -> pa.Table:
    """Ad spend rows (money_series.ad_spend_month) with their campaign's platform, UTM and currency."""
    campaign = spend["campaign"]

    def of_campaign(field: str) -> pa.Array:
        return text_column(campaign, [getattr(ad, field) for ad in company.AD_CAMPAIGNS])

    return pa.table({"spend_date": pa.array(spend["day"]), "platform": of_campaign("platform"),
                     "campaign": of_campaign("campaign"), "source": of_campaign("source"),
                     "medium": of_campaign("medium"), "cost_cents": spend["cost_cents"],
                     "currency": of_campaign("currency"),
                     "impressions": spend["impressions"], "clicks": spend["clicks"]})


def costs_table(first_day, last_day, items: list, amounts: np.ndarray) -> pa.Table:
    """A month's other costs (money_series.costs_month), one row per cost item."""
    count = len(items)
    return pa.table({"period_start": pa.array([first_day] * count, pa.date32()),
                     "period_end": pa.array([last_day] * count, pa.date32()),
                     "channel": pa.array([item.channel for item in items]),
                     "cost_type": pa.array([item.cost_type for item in items]),
                     "amount_cents": (amounts * 100).astype(np.int64), "currency": pa.array(["RUB"] * count)})


def fx_rates_table(days: np.ndarray, rates: np.ndarray) -> pa.Table:
    return pa.table({"rate_date": pa.array(days), "currency": pa.array(["USD"] * len(days)),
                     "rate_ten_thousandths": np.round(rates * 10000).astype(np.int64)})


# --------------------------------------------------------------------------------------------------
# the CSV files
# --------------------------------------------------------------------------------------------------


def exports_connection() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute("SET preserve_insertion_order = true")
    connection.execute("SET memory_limit = '1GB'")
    return connection


def write_csv(connection: duckdb.DuckDBPyConnection, path: Path, table: pa.Table, entity: str) -> None:
    """One export file of `entity` from its Arrow table, with a header line."""
    connection.register("t", table)
    try:
        target = str(path).replace("'", "''")
        connection.execute(f"COPY ({select_sql(entity)}) TO '{target}' (FORMAT csv, HEADER true)")
    finally:
        connection.unregister("t")
