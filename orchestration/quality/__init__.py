"""Data-quality gates: what must hold before the marts are published (write-audit-publish)."""
