import dagster as dg

# The nightly job: load → dbt build (models and tests) → publish. Everything, in dependency order.
nightly_job = dg.define_asset_job("nightly_job", selection=dg.AssetSelection.all())
