"""What a dbt invocation reads from its environment: profiles.yml the data folder (hence the warehouse),
the incremental models the watermark. Set for the invocation only, then restored; dbt runs in the data
folder meanwhile."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

from orchestration.data_folder import WAREHOUSE_FILE, DataFolder

# dbt sends nothing anywhere, whatever the caller's environment says: no anonymous usage statistics (also
# off in dbt_project.yml's flags and by the in-process runner's --no-send-anonymous-usage-stats). For every
# dbt subprocess membrana starts (`membrana docs`, the manifest parse) and every in-process invocation.
DBT_SENDS_NOTHING = {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DO_NOT_TRACK": "1"}

# dbt keeps its saved parse only while the profile it was made with is unchanged, and the profile holds the
# warehouse's path. Named relative to the data folder (dbt runs there), the path and so the profile are the
# same for every folder: a folder's first build can start from the project's own parse (build/dbt_runner.py).
SAME_PROFILE_FOR_EVERY_FOLDER = {"MEMBRANA_WAREHOUSE": WAREHOUSE_FILE}


@contextmanager
def dbt_environment(folder: DataFolder, loaded_after: str | None,
                    extra: dict[str, str] | None = None) -> Iterator[None]:
    """`loaded_after`: the newest load time the last build saw (the incremental models append and restage
    only rows loaded after it); None for a full refresh. An environment variable, not a dbt var, so that
    dbt's partial parsing stays valid from one night to the next. `extra`: more of dbt's own settings
    (DBT_INDIRECT_SELECTION for a subset)."""
    values = {"MEMBRANA_DATA_DIR": str(folder.root), "MEMBRANA_LOADED_AFTER": loaded_after or "",
              **SAME_PROFILE_FOR_EVERY_FOLDER, **DBT_SENDS_NOTHING, **(extra or {})}
    before = {name: os.environ.get(name) for name in values}
    working_directory = os.getcwd()
    os.environ.update(values)
    os.chdir(folder.root)
    try:
        yield
    finally:
        os.chdir(working_directory)
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
