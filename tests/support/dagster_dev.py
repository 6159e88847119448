"""`make dev` started as a person starts it, on a data folder, and driven through the UI's GraphQL API: wait
for the code location, launch the nightly job, wait for the run (tests/e2e/test_dagster_dev.py,
tests/parity/test_spark_dagster_dev.py)."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration.data_folder import PROJECT_ROOT, DataFolder
from tests.support.membrana import BIN
from tests.support.offline import strace_prefix

STARTUP_SECONDS = 400  # the UI and its code location, traced, on a busy two-core machine


class DagsterDev:
    def __init__(self, folder: DataFolder, trace_file: Path, *, traced: bool = True,
                 environment: dict[str, str] | None = None):
        """`traced`: under strace -f, its output in `trace_file` (else only the log beside it); `environment`:
        added to the test's, from which every DAGSTER_* and MEMBRANA_* setting is removed."""
        with socket.socket() as probe:  # a free port: other test runs may hold 3000
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.folder, self.trace_file = folder, trace_file
        # VENV: the test's own virtualenv, which `-o` keeps make from reinstalling
        command = ["make", "-s", "-C", str(PROJECT_ROOT), "-o", str(BIN / "membrana"), f"VENV={BIN.parent}",
                   f"MEMBRANA_DATA_DIR={folder.root}", f"DAGSTER_PORT={self.port}", "dev"]
        environment = {**{name: value for name, value in os.environ.items()
                          if not name.startswith(("DAGSTER_", "MEMBRANA_"))}, **(environment or {})}
        self.log = open(trace_file.with_suffix(".log"), "w")  # noqa: SIM115 - closed in stop()
        prefix = strace_prefix(trace_file) if traced else []
        self.process = subprocess.Popen([*prefix, *command], env=environment, text=True,
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
