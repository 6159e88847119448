"""The tests' `membrana` commands forked from a warm interpreter instead of each starting a new one.

Every `membrana run` of the suite would otherwise import Dagster, dbt and Great Expectations again: about 5 s
of one core per command, several hundred commands a suite. A server process (one per test worker, started on
its first command) imports those libraries once and forks a child per command: the child takes the command's
arguments, environment, working folder and output files, imports membrana itself (so whatever membrana reads
from the environment when it is imported, it reads from the command's environment) and calls the console
script's `main()`, as `.venv/bin/membrana` does; its exit code, output and timeout are those of a process.

Only third-party libraries are imported before the fork, and nothing of theirs starts a thread then (the
server checks: forking a process with threads could copy a held lock). What the warm start cannot show is a
fault of the start itself — an import that fails or prints in a fresh interpreter: the tests that start
`membrana` through another program (strace, unshare, setpriv, Popen) start it cold, and
MEMBRANA_TESTS_COLD_START=1 makes every command start cold.

    python -m tests.support.warm_start    # the server: JSON requests on stdin, one JSON reply line each
"""

import atexit
import ctypes
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from pathlib import Path

# What the commands import that is slow to import; membrana's own modules are imported in each child.
WARM_IMPORTS = ("great_expectations", "dagster", "dagster_dbt", "dbt.cli.main", "dbt.adapters.duckdb", "duckdb",
                "pandas", "pyarrow.parquet", "jinja2")
COLD_START = os.environ.get("MEMBRANA_TESTS_COLD_START") == "1"


# --- the client: in the test process ---------------------------------------------------------------------------


class WarmStart:
    def __init__(self) -> None:
        self.server: subprocess.Popen | None = None
        self.lock = threading.Lock()
        self.unavailable: str | None = None  # why the server could not start: commands then start cold

    def available(self) -> bool:
        if self.unavailable is None:
            try:
                self.start()
            except RuntimeError as error:
                self.unavailable = str(error)
                warnings.warn(f"{error}; the tests' membrana commands start cold", stacklevel=2)
        return self.unavailable is None

    def start(self) -> subprocess.Popen:
        if self.server is None or self.server.poll() is not None:
            self.server = subprocess.Popen([sys.executable, "-m", "tests.support.warm_start"], text=True,
                                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=dict(os.environ))
            ready = self.server.stdout.readline()
            if ready.strip() != "ready":
                self.server.kill()
                raise RuntimeError(f"the warm-start server did not start: {ready.strip()!r}")
            atexit.register(self.server.kill)
        return self.server

    def run(self, command: list[str], env: dict[str, str], cwd: Path | None,
            timeout: float) -> subprocess.CompletedProcess:
        """Like subprocess.run(command, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)."""
        with self.lock, tempfile.TemporaryDirectory(prefix="membrana-command-") as outputs:
            stdout, stderr = Path(outputs) / "stdout", Path(outputs) / "stderr"
            server = self.start()
            server.stdin.write(json.dumps({"argv": command, "env": env, "cwd": str(cwd or os.getcwd()),
                                           "stdout": str(stdout), "stderr": str(stderr), "timeout": timeout}) + "\n")
            server.stdin.flush()
            line = server.stdout.readline()
            out, err = stdout.read_text(errors="replace"), stderr.read_text(errors="replace")
        if not line:  # killed from outside (the next command starts a new server): say so, not a JSON error
            raise RuntimeError(f"the warm-start server died (exit status {server.wait()}) while running "
                               f"{command[1:]}; the command's output so far:\n{out}{err}")
        reply = json.loads(line)
        if reply.get("timed_out"):
            raise subprocess.TimeoutExpired(command, timeout, output=out, stderr=err)
        return subprocess.CompletedProcess(command, reply["returncode"], out, err)


WARM = WarmStart()


def warm_startable(command: list[str]) -> bool:
    """A `membrana` command, a warm start not turned off, and a server that could start (else: cold)."""
    from tests.support.membrana import MEMBRANA

    return not COLD_START and bool(command) and command[0] == str(MEMBRANA) and WARM.available()


# --- the server and its children ---------------------------------------------------------------------------------


def serve() -> None:
    os.environ["GX_ANALYTICS_ENABLED"] = "false"  # as membrana sets it before importing Great Expectations
    # Native threads that these libraries would start on import: none, so that a fork copies no held lock
    # (OpenBLAS's pool under numpy, jemalloc's background thread under pyarrow; neither matters to a night).
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.environ["JE_ARROW_MALLOC_CONF"] = "background_thread:false"
    import importlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a command's own imports say what a fresh interpreter would
        for module in WARM_IMPORTS:
            importlib.import_module(module)
    threads = len(os.listdir("/proc/self/task"))
    if threads != 1:
        print(f"not ready: {threads} threads after the imports; a fork could copy a held lock", flush=True)
        return
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        server = os.getpid()
        pid = os.fork()
        if pid == 0:
            die_with(server)
            run_child(request)  # never returns
        print(json.dumps(wait_for(pid, request["timeout"])), flush=True)


def die_with(server: int) -> None:
    """The child is killed when the server dies (as a command is when its test's process is), not left
    running a night in a test's folder that nobody waits for."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != server:  # the server died before the line above took effect
        os._exit(1)


def wait_for(pid: int, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return {"returncode": os.waitstatus_to_exitcode(status)}
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return {"timed_out": True}
        time.sleep(0.02)


def run_child(request: dict) -> None:
    code = 1
    try:
        os.setsid()  # its own process group: a timeout kills whatever it started too
        signal.signal(signal.SIGINT, signal.default_int_handler)
        redirect(0, os.open(os.devnull, os.O_RDONLY))
        redirect(1, os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
        redirect(2, os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644))
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace",
                                      line_buffering=True)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = request["argv"]
        from orchestration.cli import main  # as the console script does

        code = exit_code(main)
        atexit._run_exitfuncs()  # what an interpreter's exit does (a run has left by os._exit already)
    except BaseException:  # noqa: BLE001 - a child must never return into the server's loop
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001, S110 - closed or broken: nothing more to say
                pass
        os._exit(code)


def redirect(fd: int, opened: int) -> None:
    os.dup2(opened, fd)
    os.close(opened)


def exit_code(main) -> int:
    """sys.exit(main()), as an exit code."""
    try:
        result = main()
    except SystemExit as exit_:
        result = exit_.code
    if result is None:
        return 0
    if isinstance(result, int):
        return result
    print(result, file=sys.stderr)
    return 1


if __name__ == "__main__":
    serve()
