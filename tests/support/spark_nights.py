"""Two nights of one company on DuckDB and on Spark (`MEMBRANA_TARGET=spark membrana run`), and the published
snapshots compared: every table with the same columns in the same order, the same types and the same rows
(floating columns within 1e-6).

The company is the demo at reduced size. Its last weekly CRM export (contacts, leads, meetings and deals of the
last export day) is held back from the first night and delivered before the second, as next week's files
arrive at a company: the second night loads new records and later versions of earlier ones. That night is
incremental on both engines (on Spark, funnel_daily rewrites only the day partitions the new rows touch).
"""

import os
import re
import shutil
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from tests.support.membrana import BIN, MEMBRANA, failure, membrana_env, run_command, run_membrana
from tests.support.published import Snapshot, snapshot_tables

DEMO_CONTACTS = "3000"  # the demo at a tenth: every channel, rule and bad-row kind, Spark's time mostly per query
CRM_ENTITIES = ("contacts", "leads", "meetings", "deals")
WEEKLY_EXPORT = re.compile(r"contacts_(\d{4}-\d{2}-\d{2})\.csv")
# pyspark starts its JVM through bash scripts (spark-submit): the system's PATH after the virtualenv's.
SPARK = {"MEMBRANA_TARGET": "spark", "SPARK_LOCAL_IP": "127.0.0.1", "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
SPARK_NIGHT_TIMEOUT = 3600  # seconds: a Spark night on 2 busy cores takes far longer than run_command's default


def run_on_spark(data_dir: Path, **extra: str):
    return run_command([MEMBRANA, "run"], env=membrana_env(data_dir, **{**SPARK, **extra}),
                       timeout=SPARK_NIGHT_TIMEOUT)


@dataclass
class Night:
    on_duckdb: Snapshot
    on_spark: Snapshot
    spark_run_log: str  # the Spark night's logs/last_run.log


def last_export_day(landing: Path) -> date:
    return max(date.fromisoformat(match[1]) for path in (landing / "contacts").iterdir()
               if (match := WEEKLY_EXPORT.fullmatch(path.name)))


def hold_back_last_week(data_dir: Path, aside: Path) -> date:
    """The last export day's CRM files moved from landing/ to `aside`; the export day before it, now the last."""
    landing = data_dir / "landing"
    held_back = last_export_day(landing)
    for entity in CRM_ENTITIES:
        (aside / entity).mkdir(parents=True)
        shutil.move(landing / entity / f"{entity}_{held_back}.csv", aside / entity)
    return last_export_day(landing)


def deliver(aside: Path, data_dir: Path) -> None:
    for path in aside.rglob("*.csv"):
        shutil.copy2(path, data_dir / "landing" / path.parent.name / path.name)


def two_nights_on_both(root: Path, **spark_env: str) -> tuple[Path, Path, list[Night]]:
    """The company's two nights on DuckDB (root/duckdb) and on Spark (root/spark, `spark_env` added to the Spark
    runs' environment); each night's published snapshot of both, the folders left as the second night left them."""
    on_duckdb, on_spark, next_week = root / "duckdb", root / "spark", root / "next_week"
    demo = run_membrana("demo", "--out", on_duckdb, "--contacts", DEMO_CONTACTS, data_dir=on_duckdb)
    assert demo.returncode == 0, failure(demo)
    first_exports_end = hold_back_last_week(on_duckdb, next_week)
    shutil.copytree(on_duckdb, on_spark)
    # the first night runs the day after its newest exports, as the demo's second night (config/run_date.csv)
    first_night = {"MEMBRANA_RUN_DATE": str(first_exports_end + timedelta(days=1))}
    nights = [night_on_both(on_duckdb, on_spark, spark_env | first_night, first_night)]
    deliver(next_week, on_duckdb)
    deliver(next_week, on_spark)
    nights.append(night_on_both(on_duckdb, on_spark, spark_env, {}))
    return on_duckdb, on_spark, nights


def night_on_both(on_duckdb: Path, on_spark: Path, spark_env: dict[str, str], duckdb_env: dict[str, str]) -> Night:
    duckdb_night = run_membrana("run", data_dir=on_duckdb, env=duckdb_env)
    assert duckdb_night.returncode == 0, failure(duckdb_night)
    spark_night = run_on_spark(on_spark, **spark_env)
    assert spark_night.returncode == 0, failure(spark_night)
    return Night(snapshot_tables(on_duckdb), snapshot_tables(on_spark),
                 (on_spark / "logs" / "last_run.log").read_text())
