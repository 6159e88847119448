"""Ingest: landing files (canonical CSV or real exports through adapters) and config files → raw.* and config.* in the warehouse."""
