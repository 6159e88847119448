"""The nightly run outside the Dagster UI: run the job in process, its progress, report, timings and status."""
