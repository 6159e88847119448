"""`make dev`: the Dagster UI on a data folder, as a person starts it. It sends nothing anywhere (its
instance lives in the data folder's dagster/, telemetry off), and a run launched from it takes the data
folder's run lock like `membrana run` (orchestration/nightly/run_lock.py).

The UI talks to its code server over Unix sockets and to the browser over 127.0.0.1, so the network is left
up here and the trace (strace -f) shows whether anything reached further."""

import shutil

import pytest

from orchestration.data_folder import DataFolder
from orchestration.demo.company import generate_company
from tests.support.dagster_dev import DagsterDev
from tests.support.lock_holder import LockHolder
from tests.support.offline import outside_connections, why_not_traceable

NOT_TRACEABLE = why_not_traceable() or (None if shutil.which("make") else "make is not installed")
pytestmark = pytest.mark.skipif(NOT_TRACEABLE is not None, reason=NOT_TRACEABLE or "")


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory):
    folder = DataFolder(tmp_path_factory.mktemp("dagster_dev"))
    generate_company(folder.root, contacts=400)
    dev = DagsterDev(folder, tmp_path_factory.mktemp("trace") / "dev.strace")
    try:
        dev.wait_until_loaded()
        yield dev
    finally:
        dev.stop()


def test_a_run_from_the_ui_fails_at_once_while_another_run_holds_the_folder(dagster_dev):
    with LockHolder(dagster_dev.folder.root, command="membrana run") as other:
        status, errors = dagster_dev.finished_run(dagster_dev.launch_nightly_job())
    assert status == "FAILURE"
    line = f"another run holds the data folder {dagster_dev.folder.root} (since "
    assert any(line in error and f"pid {other.pid}: membrana run)" in error for error in errors), errors
    assert not dagster_dev.folder.warehouse.exists()  # no step ran


def test_make_dev_keeps_dagster_in_the_data_folder_with_telemetry_off(dagster_dev):
    home = dagster_dev.folder.root / "dagster"
    assert "telemetry:\n  enabled: false" in (home / "dagster.yaml").read_text()
    assert (home / "history").is_dir()  # the UI's runs are kept there
    assert not (home / "logs").exists()  # where Dagster writes what its telemetry would upload


def test_make_dev_connects_nowhere_outside(dagster_dev):
    """Runs last in the module: the trace then covers the start, the UI's queries and a launched run."""
    outside = outside_connections(dagster_dev.trace_file.read_text())
    assert outside == [], "make dev tried to reach:\n" + "\n".join(outside)
