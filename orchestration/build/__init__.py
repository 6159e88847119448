"""Build: what a night rebuilds (the build state and its watermark), file reconciliation, the raw layer as Parquet for Spark."""
