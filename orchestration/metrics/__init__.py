"""The metrics layer: the KPIs defined once in dbt (models/marts/metrics/_metrics.yml), queried with MetricFlow."""
