"""`make dev`: the Dagster UI on a data folder, as a person starts it. It sends nothing anywhere (its
instance lives in the data folder's dagster/, telemetry off), and a run launched from it takes the data
folder's run lock like `membrana run` (orchestration/nightly/run_lock.py).

The UI talks to its code server over Unix sockets and to the browser over 127.0.0.1, so the network is left
up here and the trace (strace -f) shows whether anything reached further."""

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration.data_folder import PROJECT_ROOT, DataFolder
from orchestration.demo.company import generate_company
from tests.support.lock_holder import LockHolder
from tests.support.membrana import BIN
from tests.support.offline import outside_connections, strace_prefix, why_not_traceable

NOT_TRACEABLE = why_not_traceable() or (None if shutil.which("make") else "make is not installed")
pytestmark = pytest.mark.skipif(NOT_TRACEABLE is not None, reason=NOT_TRACEABLE or "")

STARTUP_SECONDS = 400  # the UI and its code location, traced, on a busy two-core machine


class DagsterDev:
    def __init__(self, folder: DataFolder, trace_file: Path):
        with socket.socket() as probe:  # a free port: other test runs may hold 3000
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder, self.trace_file = folder, trace_file
        # VENV: the test's own virtualenv, which `-o` keeps make from reinstalling
        command = ["make", "-s", "-C", str(PROJECT_ROOT), "-o", str(BIN / "membrana"), f"VENV={BIN.parent}",
                   f"MEMBRANA_DATA_DIR={folder.root}", f"DAGSTER_PORT={self.port}", "dev"]
        environment = {name: value for name, value in os.environ.items()
                       if not name.startswith(("DAGSTER_", "MEMBRANA_"))}
        self.log = open(trace_file.with_suffix(".log"), "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([*strace_prefix(trace_file), *command], env=environment, text=True,
                                        stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}/graphql",
                                         json.dumps({"query": query, "variables": variables or {}}).encode(),
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)["data"]

    def wait_until_loaded(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"make dev stopped: {self.output()[-3000:]}"
            try:
                entries = self.graphql("{ workspaceOrError { ... on Workspace { locationEntries { loadStatus "
                                       "locationOrLoadError { __typename } } } } }")["workspaceOrError"]
                if entries["locationEntries"] and all(
                        entry["loadStatus"] == "LOADED" for entry in entries["locationEntries"]):
                    assert [e["locationOrLoadError"]["__typename"] for e in entries["locationEntries"]] == [
                        "RepositoryLocation"], f"the code location did not load: {self.output()[-3000:]}"
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(2)
        pytest.fail(f"the Dagster UI was not up after {STARTUP_SECONDS} s: {self.output()[-3000:]}")

    def launch_nightly_job(self) -> str:
        launched = self.graphql(
            "mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename "
            "... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }",
            {"p": {"selector": {"repositoryLocationName": "membrana", "repositoryName": "__repository__",
                                "jobName": "nightly_job"}, "runConfigData": {}}})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", launched
        return launched["run"]["runId"]

    def finished_run(self, run_id: str, timeout: float = 300) -> tuple[str, list[str]]:
        """The run's final status and its error messages."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.graphql("query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }",
                                  {"id": run_id})["runOrError"]["status"]
            if status in ("SUCCESS", "FAILURE", "CANCELED"):
                events = self.graphql("query($id: ID!) { logsForRun(runId: $id) { ... on EventConnection { events "
                                      "{ ... on ErrorEvent { error { message } } } } } }",
                                      {"id": run_id})["logsForRun"]["events"]
                return status, [event["error"]["message"] for event in events if event.get("error")]
            time.sleep(2)
        pytest.fail(f"run {run_id} did not finish in {timeout} s")

    def stop(self) -> None:
        """Ctrl-C, as a person stops it; killed if it does not stop (alone it stops in about 4 s; beside other
        test workers it once outwaited a whole minute)."""
        try:
            os.killpg(self.process.pid, signal.SIGINT)
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        except ProcessLookupError:
            pass
        self.log.close()

    def output(self) -> str:
        self.log.flush()
        return self.trace_file.with_suffix(".log").read_text()


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
