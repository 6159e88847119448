"""Another process holding a data folder's run lock (orchestration/nightly/run_lock.py), for as long as a
test needs it: started, it has the lock; `release()` lets it go and ends it, `kill()` kills it (-9)."""

import subprocess
import sys
from pathlib import Path
from typing import Self

HOLD = """
import sys
from orchestration.data_folder import DataFolder
from orchestration.nightly.run_lock import run_lock

with run_lock(DataFolder(sys.argv[1]), command=sys.argv[2]):
    print("held", flush=True)
    sys.stdin.read()  # until the test closes stdin
"""


class LockHolder:
    def __init__(self, data_dir: Path, command: str = "membrana run (held by a test)"):
        self.process = subprocess.Popen([sys.executable, "-c", HOLD, str(data_dir), command],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline().strip()
        assert line == "held", f"the lock holder did not take the lock (said {line!r})"

    @property
    def pid(self) -> int:
        return self.process.pid

    def release(self) -> None:
        self.process.stdin.close()
        assert self.process.wait(timeout=30) == 0

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)
        self.process.stdin.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info) -> None:
        if self.process.poll() is None:
            self.kill()
