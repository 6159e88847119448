"""The data folder's Dagster instance: where `membrana run` records every night and `make dev` shows them.

One instance per data folder, so the UI shows each night's run, the assets it materialized with their
metadata and each asset check's result over time. It lives in the data folder's dagster/ unless the user
set DAGSTER_HOME. Its dagster.yaml, copied from orchestration/defaults/ when missing, turns Dagster's
telemetry off and captures no compute logs (dbt's output is in logs/last_run.log; the events are kept).

`make dev` asks this module for the folder (`python -m orchestration.dagster_instance DATA_DIR` prints it),
so the UI and `membrana run` agree on it in one place."""

import os
import shutil
import sys
from pathlib import Path

from orchestration.data_folder import PROJECT_ROOT, DataFolder

DEFAULT_INSTANCE_CONFIG = PROJECT_ROOT / "orchestration" / "defaults" / "dagster.yaml"
DAGSTER_DEFAULT_STORAGE = ("dagster._core.storage.sqlite_storage", "DagsterSqliteStorage")
DAGSTER_DEFAULT_EVENT_LOG = ("dagster._core.storage.event_log", "SqliteEventLogStorage")
# The tag of the runs `membrana run` records: it notifies people itself, with its run report, so the
# instance's run status sensors (defs/notifications.py) leave those runs alone.
LAUNCHED_BY_TAG = "membrana/launched_by"
LAUNCHED_BY_MEMBRANA_RUN = "membrana run"


def dagster_home(folder: DataFolder) -> Path:
    """$DAGSTER_HOME when the user set it, else the data folder's dagster/."""
    given = os.environ.get("DAGSTER_HOME")
    return Path(given).resolve() if given else folder.root / "dagster"


def prepared_dagster_home(folder: DataFolder) -> Path:
    """The instance's folder, made if missing, with membrana's dagster.yaml when it has none."""
    home = dagster_home(folder)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(DEFAULT_INSTANCE_CONFIG, config)
    return home


def open_instance(folder: DataFolder):
    """The data folder's persistent Dagster instance (a context manager: close it when the run is over).

    Its event log is written through NightlyEventLogStorage (dagster_storage.py) when the instance keeps
    Dagster's default SQLite event log, in the same files; a storage the user configured is left as it is."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef
    from dagster._serdes import ConfigurableClassData

    home = prepared_dagster_home(folder)
    ref = InstanceRef.from_dir(str(home))
    storage, event_log = ref.storage_data, ref.event_storage_data
    if (storage and (storage.module_name, storage.class_name) == DAGSTER_DEFAULT_STORAGE and event_log
            and (event_log.module_name, event_log.class_name) == DAGSTER_DEFAULT_EVENT_LOG):
        # the default storage bundles the runs, the event log and the schedules: named one by one instead
        ref = ref._replace(storage_data=None, event_storage_data=ConfigurableClassData(
            "orchestration.dagster_storage", "NightlyEventLogStorage", event_log.config_yaml))
    return dg.DagsterInstance.from_ref(ref)


if __name__ == "__main__":
    print(prepared_dagster_home(DataFolder(sys.argv[1])))
