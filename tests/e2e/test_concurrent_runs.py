"""Two `membrana run`s on one data folder (cron and a person, or a slow night overlapping the next): the
second says in one line which run holds the folder and exits 4, or with --wait runs after the first; a lock
file left by a process that died blocks nothing."""

import json
import os
import subprocess
import sys
import time

import pytest

from orchestration.data_folder import DataFolder
from orchestration.demo.company import generate_company
from orchestration.nightly.run_lock import lock_path
from tests.support.lock_holder import LockHolder
from tests.support.membrana import MEMBRANA, failure, membrana_env, run_command

EXIT_RUN_IN_PROGRESS = 4


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> DataFolder:
    folder = DataFolder(tmp_path_factory.mktemp("two_runs"))
    generate_company(folder.root, contacts=400)
    return folder


def environment(folder: DataFolder) -> dict[str, str]:
    """A user's environment; the import path kept when the tests run on a checkout given by PYTHONPATH."""
    extra = {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
    return membrana_env(folder.root, **extra)


def start_run(folder: DataFolder, *args: str) -> subprocess.Popen:
    return subprocess.Popen([str(MEMBRANA), "run", *args], env=environment(folder), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run(folder: DataFolder, *args: str) -> subprocess.CompletedProcess:
    return run_command([MEMBRANA, "run", *args], env=environment(folder))


def holder_pid(folder: DataFolder) -> int | None:
    try:
        return json.loads(lock_path(folder).read_text() or "{}").get("pid")
    except (OSError, ValueError):
        return None


def wait_until_held(folder: DataFolder, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while holder_pid(folder) != process.pid:
        assert process.poll() is None, f"the first run ended before it was seen holding the lock: {process.communicate()}"
        assert time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.05)


def finished(process: subprocess.Popen) -> subprocess.CompletedProcess:
    stdout, stderr = process.communicate(timeout=600)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def test_a_second_run_is_refused_in_one_line_while_the_first_publishes(company):
    first = start_run(company)
    try:
        wait_until_held(company, first)
        second = run(company)
    finally:
        first_result = finished(first)
    assert second.returncode == EXIT_RUN_IN_PROGRESS, failure(second)
    assert second.stdout == ""
    assert second.stderr.count("\n") == 1, second.stderr
    line = second.stderr.strip()
    assert line.startswith(f"membrana: another run holds the data folder {company.root} (since "), line
    assert f", pid {first.pid}: membrana run); try later, or `membrana run --wait`" in line, line
    assert first_result.returncode == 0, failure(first_result)
    assert (company.published / "membrana.duckdb").exists()
    assert lock_path(company).read_text() == ""


def test_with_wait_the_second_run_runs_once_the_first_is_done(company):
    first, second, holders = start_run(company, "--full-refresh"), None, []
    try:
        wait_until_held(company, first)
        second = start_run(company, "--wait")
        while first.poll() is None or second.poll() is None:  # who holds the folder, in turn
            if (pid := holder_pid(company)) and (not holders or holders[-1] != pid):
                holders.append(pid)
            time.sleep(0.05)
    finally:
        first_result = finished(first)
        second_result = finished(second) if second else None
    assert first_result.returncode == 0, failure(first_result)
    assert holders == [first.pid, second.pid]  # the second took the folder once the first let go, not before
    assert second_result.returncode == 0, failure(second_result)
    assert second_result.stderr == ""  # no terminal: waiting says nothing
    assert "Run published" in second_result.stdout


def test_a_wait_with_a_limit_gives_up_in_one_line(company):
    with LockHolder(company.root) as holder:  # the folder held past the limit (the handover is the test above's)
        second = run(company, "--wait", "1")
        assert holder.process.poll() is None
    assert second.returncode == EXIT_RUN_IN_PROGRESS, failure(second)
    assert second.stderr.startswith(f"membrana: another run holds the data folder {company.root} still, "
                                    "after waiting 1 s (since "), second.stderr
    assert f", pid {holder.pid}: membrana run (held by a test))" in second.stderr, second.stderr
    assert second.stderr.count("\n") == 1


def test_a_lock_file_left_by_a_dead_process_does_not_block_the_next_run(company):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path(company).write_text(json.dumps({"since": "2026-11-22T02:00:00", "pid": dead.pid, "host": "old-box",
                                              "command": "membrana run"}))
    result = run(company)
    assert result.returncode == 0, failure(result)
    assert lock_path(company).read_text() == ""


def test_a_bad_wait_is_bad_input(company):
    result = run(company, "--wait", "soon")
    assert result.returncode == 2 and "not a number of seconds: 'soon'" in result.stderr
