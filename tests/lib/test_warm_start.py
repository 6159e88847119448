"""The tests' warm start (tests/support/warm_start.py) gives what a new `membrana` process gives: the same exit
code, output and files, the command's own environment and working folder, and a timeout as subprocess's."""

import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.support.lock_holder import LockHolder
from tests.support.membrana import MEMBRANA, membrana_env
from tests.support.warm_start import WARM


def cold(command: list[str], env: dict[str, str], cwd=None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=timeout, check=False)


@pytest.mark.parametrize("args", [
    ["status"],  # nothing published in an empty folder: exit 3 and one line
    ["run", "--no-such-flag"],  # argparse's usage and exit 2
    ["demo", "--out", "company", "--contacts", "50"],  # writes files, relative to the working folder
])
def test_a_warm_command_exits_prints_and_writes_as_a_new_process(tmp_path, args):
    results = {}
    for start in ("cold", "warm"):
        folder = tmp_path / start
        folder.mkdir()
        command, env = [str(MEMBRANA), *args], membrana_env(folder)
        result = cold(command, env, cwd=folder) if start == "cold" else WARM.run(command, env, folder, 120)
        written = sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))
        results[start] = (result.returncode, result.stdout.replace(str(folder), "F"),
                          result.stderr.replace(str(folder), "F"), written)
    assert results["warm"] == results["cold"]
    assert results["cold"][0] != 0 or results["cold"][3]  # each case fails, or leaves files to compare


def test_a_warm_command_reads_its_own_environment(tmp_path):
    """MEMBRANA_DATA_DIR of the command, not of the server or of this process."""
    (tmp_path / "elsewhere").mkdir()
    result = WARM.run([str(MEMBRANA), "status"], membrana_env(tmp_path / "elsewhere"), None, 120)
    assert f"{tmp_path / 'elsewhere'}" in result.stdout + result.stderr


def test_a_warm_command_past_its_timeout_is_killed_as_subprocess_would(tmp_path):
    """`membrana run --wait` on a folder whose run lock another process holds waits until it is killed."""
    (tmp_path / "landing").mkdir()
    with LockHolder(tmp_path):
        with pytest.raises(subprocess.TimeoutExpired):
            WARM.run([str(MEMBRANA), "run", "--wait"], membrana_env(tmp_path), None, 3)
        result = WARM.run([str(MEMBRANA), "status"], membrana_env(tmp_path), None, 120)  # the server goes on
    assert result.returncode == 3 and "Published snapshot: none yet" in result.stdout


def test_without_a_server_commands_start_cold(tmp_path, monkeypatch):
    """A server that cannot start (say, a library that starts a thread on import) warns once, and every command
    then starts as a new process: the tests still run, only slower."""
    from tests.support import warm_start
    from tests.support.membrana import run_command

    class NoServer(warm_start.WarmStart):
        def start(self):
            raise RuntimeError("the warm-start server did not start: 'not ready: 2 threads after the imports'")

    monkeypatch.setattr(warm_start, "WARM", NoServer())
    with pytest.warns(UserWarning, match="start cold"):
        result = run_command([MEMBRANA, "status"], env=membrana_env(tmp_path))
    assert result.returncode == 3 and "Published snapshot: none yet" in result.stdout
    assert warm_start.WARM.server is None and warm_start.WARM.unavailable


def test_a_server_killed_during_a_command_is_named_and_the_next_command_starts_a_new_one(tmp_path):
    """Something outside kills the server while a command runs (a `pkill`): the test that ran it fails saying so,
    the command dies with the server (not left waiting for the lock, to run a night later), and the next command
    gets a new server."""
    (tmp_path / "landing").mkdir()
    with LockHolder(tmp_path):
        server = WARM.start()
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
        killer = threading.Timer(3, lambda: (command.extend(children.read_text().split()), server.kill()))
        command: list[str] = []  # the pid of the command the server forked, read just before the kill
        killer.start()
        try:
            with pytest.raises(RuntimeError, match=r"the warm-start server died \(exit status -9\) while running "
                                                   r"\['run', '--wait'\]"):
                WARM.run([str(MEMBRANA), "run", "--wait"], membrana_env(tmp_path), None, 60)
        finally:
            killer.cancel()
        assert len(command) == 1
        time.sleep(0.5)
        assert not Path(f"/proc/{command[0]}").exists() or "Z" in state_of(int(command[0]))
        result = WARM.run([str(MEMBRANA), "status"], membrana_env(tmp_path), None, 120)
    assert result.returncode == 3 and "Published snapshot: none yet" in result.stdout


def state_of(pid: int) -> str:
    """A process's state letter (Z: dead, waiting for its parent to read its status)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
