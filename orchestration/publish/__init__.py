"""Publish: the audited snapshot, the dashboard, exports and the KPI summary read from the snapshot."""
