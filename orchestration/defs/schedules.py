import os

import dagster as dg

from orchestration.defs.jobs import nightly_job

# Every night at 02:00 in the company's time zone (MEMBRANA_TIMEZONE, default Europe/Moscow),
# after the CRM and ad platforms have dropped the day's exports.
nightly_schedule = dg.ScheduleDefinition(
    name="nightly_schedule",
    job=nightly_job,
    cron_schedule="0 2 * * *",
    execution_timezone=os.environ.get("MEMBRANA_TIMEZONE", "Europe/Moscow"),
)
