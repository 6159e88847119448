"""One run at a time per data folder: the lock a run holds from its first step to its last (load, dbt build
and tests, checks, publish, report).

The lock is an `flock` on DATA_DIR/logs/run.lock. The kernel holds it for the process and releases it
when the process ends, however it ends (kill -9, a crash, power loss: nothing survives a reboot), so a
lock can never be left behind. The file's body only says who holds it — since when, which process (pid,
host, command) — for the message a second run prints; the holder writes it after taking the lock and
empties it before letting go, and a body left by a process that died is simply overwritten by the next
holder. The file itself is never deleted (deleting a lock file while another process waits on it would let
a third process lock a new file beside it).

The lock is reentrant within a process: `membrana run` takes it for the whole command, and the Dagster
run it executes in process takes it again through the warehouse resource (defs/resources.py) — a second
`flock` on a new descriptor of the same file would wait for the first one forever. The count is per
process, not per thread: membrana runs a job's steps in one thread.
"""

import fcntl
import json
import os
import shlex
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from orchestration.data_folder import DataFolder

LOCK_FILE = "run.lock"  # in the data folder's logs/
POLL_SECONDS = 0.2  # how often a waiting run tries again


@dataclass(frozen=True)
class Holder:
    """Who holds (or last wrote) the lock, as its body says; any field may be unknown."""

    since: str | None = None
    pid: int | None = None
    host: str | None = None
    command: str | None = None

    def describe(self) -> str:
        if self.pid is None:
            return "holder not known yet"
        where = f" on {self.host}" if self.host and self.host != socket.gethostname() else ""
        return f"since {self.since or 'an unknown time'}, pid {self.pid}{where}: {self.command or 'unknown command'}"


class RunInProgress(Exception):
    """Another process holds the data folder's run lock."""

    def __init__(self, root: Path, holder: Holder, waited: float | None = None):
        self.root, self.holder, self.waited = root, holder, waited
        still = f" still, after waiting {waited:g} s" if waited else ""
        super().__init__(f"another run holds the data folder {root}{still} ({holder.describe()})")


def lock_path(folder: DataFolder) -> Path:
    return folder.logs / LOCK_FILE


def this_command() -> str:
    """This process's command line, its program by name: `membrana run --wait`."""
    return shlex.join([Path(sys.argv[0]).name if sys.argv and sys.argv[0] else "python", *sys.argv[1:]])


def read_holder(path: Path) -> Holder:
    """The lock's body; an empty, partly written or foreign body gives an unknown holder."""
    try:
        body = json.loads(path.read_text() or "{}")
        return Holder(since=body.get("since"), pid=int(body["pid"]) if body.get("pid") is not None else None,
                      host=body.get("host"), command=body.get("command"))
    except (OSError, ValueError, TypeError, AttributeError):
        return Holder()


@dataclass
class _Held:
    fd: int
    depth: int
    holder: Holder


_held: dict[Path, _Held] = {}  # the run locks this process holds, by lock file
_registry = threading.Lock()


@contextmanager
def run_lock(folder: DataFolder, command: str | None = None, wait: float | None = 0,
             on_wait: Callable[[Holder], None] | None = None) -> Iterator[Holder]:
    """Holds the data folder's run lock for the block; yields this process's Holder.

    `wait`: 0 — raise RunInProgress at once when another process holds it; None — wait as long as it takes;
    a number — wait up to that many seconds, then raise. `on_wait` is called once, with the holder, when
    the lock is busy and this process starts waiting. Already held by this process: held once more.
    `command`: what the body says holds the folder (default: this process's command line)."""
    path = lock_path(folder)
    with _registry:
        held = _held.get(path)
        if held is not None:
            held.depth += 1
    if held is not None:
        try:
            yield held.holder
        finally:
            with _registry:
                held.depth -= 1
        return
    held = _acquire(path, folder.root, command or this_command(), wait, on_wait)
    with _registry:
        _held[path] = held
    try:
        yield held.holder
    finally:
        with _registry:
            del _held[path]
        _release(held.fd)


def _acquire(path: Path, root: Path, command: str, wait: float | None,
             on_wait: Callable[[Holder], None] | None) -> _Held:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    started = time.monotonic()
    announced = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if wait is not None and waited >= wait:
                    raise RunInProgress(root, read_holder(path), waited=wait or None) from None
                if not announced and on_wait is not None:
                    on_wait(read_holder(path))
                    announced = True
                time.sleep(POLL_SECONDS if wait is None else min(POLL_SECONDS, max(wait - waited, 0.01)))
    except BaseException:
        os.close(fd)
        raise
    holder = Holder(since=datetime.now().isoformat(timespec="seconds"), pid=os.getpid(),
                    host=socket.gethostname(), command=command)
    body = json.dumps({"since": holder.since, "pid": holder.pid, "host": holder.host, "command": holder.command})
    os.ftruncate(fd, 0)  # whatever a dead holder left is replaced
    os.pwrite(fd, (body + "\n").encode(), 0)
    return _Held(fd, 1, holder)


def _release(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)  # before unlocking: the next holder's body is never touched
    finally:
        os.close(fd)  # closing the last descriptor releases the flock
