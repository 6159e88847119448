"""The run lock of a data folder (orchestration/nightly/run_lock.py): one holder at a time, a second one
told who holds it, waits that end, and nothing left behind by a process that died."""

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from orchestration.data_folder import DataFolder
from orchestration.nightly.run_lock import Holder, RunInProgress, lock_path, read_holder, run_lock
from tests.support.lock_holder import LockHolder


@pytest.fixture
def folder(tmp_path) -> DataFolder:
    return DataFolder(tmp_path)


def body(folder: DataFolder) -> dict:
    text = lock_path(folder).read_text()
    return json.loads(text) if text else {}


def test_the_holder_writes_who_and_since_when_and_empties_it_when_done(folder):
    with run_lock(folder, command="membrana run --full-refresh") as holder:
        written = body(folder)
        assert written == {"since": holder.since, "pid": os.getpid(), "host": socket.gethostname(),
                           "command": "membrana run --full-refresh"}
    assert lock_path(folder) == folder.root / "logs" / "run.lock"
    assert lock_path(folder).exists() and body(folder) == {}  # the file stays, its body goes


def test_a_second_process_is_told_who_holds_the_folder(folder):
    with LockHolder(folder.root, command="membrana run") as other:
        started = time.monotonic()
        with pytest.raises(RunInProgress) as refused, run_lock(folder, command="membrana run"):
            pytest.fail("two holders at once")
        assert time.monotonic() - started < 2  # no waiting unless asked
        message = str(refused.value)
        assert refused.value.holder.pid == other.pid
        assert message.startswith(f"another run holds the data folder {folder.root} (since ")
        assert f"pid {other.pid}: membrana run)" in message and "\n" not in message
    with run_lock(folder, command="membrana run"):  # once it is gone, the folder is free
        assert body(folder)["pid"] == os.getpid()


def test_the_lock_is_reentrant_within_a_process(folder):
    """`membrana run` holds it and the Dagster run inside takes it again: neither waits for the other,
    and the folder stays held until the outer holder is done."""
    with run_lock(folder, command="membrana run") as outer:
        with run_lock(folder, command="Dagster run") as inner:
            assert inner == outer and body(folder)["command"] == "membrana run"
        assert body(folder)["pid"] == os.getpid()
        probe = subprocess.run([sys.executable, "-c", PROBE, str(folder.root)], capture_output=True, text=True,
                               timeout=60, check=False)
        assert probe.stdout.strip() == "busy", probe.stderr[-2000:]
    probe = subprocess.run([sys.executable, "-c", PROBE, str(folder.root)], capture_output=True, text=True,
                           timeout=60, check=False)
    assert probe.stdout.strip() == "free", probe.stderr[-2000:]


PROBE = """
import sys
from orchestration.data_folder import DataFolder
from orchestration.nightly.run_lock import RunInProgress, run_lock
try:
    with run_lock(DataFolder(sys.argv[1]), command="probe"):
        print("free")
except RunInProgress:
    print("busy")
"""


def test_a_wait_with_a_limit_gives_up_after_it(folder):
    with LockHolder(folder.root):
        started = time.monotonic()
        with (pytest.raises(RunInProgress, match=r"still, after waiting 0\.6 s"),
              run_lock(folder, command="membrana run --wait 0.6", wait=0.6)):
            pytest.fail("two holders at once")
        assert 0.6 <= time.monotonic() - started < 3


def test_a_wait_ends_when_the_holder_is_done(folder):
    seen: list[Holder] = []
    with LockHolder(folder.root, command="membrana run") as other:
        releasing = threading.Timer(1.0, other.release)
        releasing.start()
        started = time.monotonic()
        with run_lock(folder, command="membrana run --wait", wait=None, on_wait=seen.append):
            assert time.monotonic() - started >= 0.9
            assert body(folder)["command"] == "membrana run --wait"
        releasing.join()
        assert other.process.returncode == 0
    assert [holder.pid for holder in seen] == [other.pid]  # told once whom it waits for


def test_a_holder_killed_hard_leaves_nothing_that_blocks(folder):
    other = LockHolder(folder.root)
    other.kill()  # kill -9: no chance to clean up; the kernel drops its lock
    assert body(folder)["pid"] == other.pid  # its body is still there …
    with run_lock(folder, command="membrana run", wait=0):  # … and blocks nothing
        assert body(folder)["pid"] == os.getpid()


def test_a_stale_body_of_a_dead_process_is_overwritten(folder):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_path(folder).parent.mkdir(parents=True)
    lock_path(folder).write_text(json.dumps({"since": "2026-11-22T02:00:00", "pid": dead.pid, "host": "old-box",
                                             "command": "membrana run", "extra": "x" * 500}))
    with run_lock(folder, command="membrana run", wait=0):
        assert body(folder)["pid"] == os.getpid() and "extra" not in body(folder)


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", '{"pid": "twelve"}', "\x00\x01"])
def test_a_body_that_says_nothing_useful_gives_an_unknown_holder(folder, text):
    lock_path(folder).parent.mkdir(parents=True)
    lock_path(folder).write_text(text)
    assert read_holder(lock_path(folder)) == Holder()
    assert Holder().describe() == "holder not known yet"


def test_a_holder_on_another_host_is_named_with_it():
    holder = Holder(since="2026-11-23T02:00:04", pid=4242, host="night-box", command="membrana run")
    assert holder.describe() == "since 2026-11-23T02:00:04, pid 4242 on night-box: membrana run"
