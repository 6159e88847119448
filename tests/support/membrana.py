"""Run `membrana` in a subprocess, as a user would, and write landing files.

run_command runs each one: output captured as text, a timeout, no exception
on a non-zero exit — the test asserts on the result."""

import subprocess
import sys
from pathlib import Path

BIN = Path(sys.executable).parent  # the virtualenv's bin/: membrana, dbt, python
MEMBRANA = BIN / "membrana"


def run_command(command: list, *, env: dict | None = None, timeout: float = 600,
                cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The one subprocess runner. env None: this process's environment."""
    return subprocess.run([str(part) for part in command], capture_output=True, text=True, timeout=timeout,
                          check=False, env=env, cwd=cwd)


def failure(result: subprocess.CompletedProcess, tail: int = 2000) -> str:
    """A failed run for an assertion message: one line saying what exited how, then the end of its output."""
    command = " ".join([Path(result.args[0]).name, *result.args[1:]])
    return f"`{command}` exited {result.returncode}\n{result.stdout[-tail:]}{result.stderr[-tail:]}"


def membrana_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A user's bare environment: the virtualenv's bin/ on PATH, the data folder, HOME there too."""
    return {"PATH": str(BIN), "MEMBRANA_DATA_DIR": str(data_dir), "HOME": str(data_dir), **extra}


def run_membrana(*args, data_dir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`membrana ARGS` on `data_dir`, with `env` added to the bare environment."""
    return run_command([MEMBRANA, *args], env=membrana_env(data_dir, **(env or {})))


def run_ok(data_dir: Path, *args) -> subprocess.CompletedProcess:
    """`membrana run ARGS` that must pass."""
    result = run_membrana("run", *args, data_dir=data_dir)
    assert result.returncode == 0, failure(result)
    return result


def write_files(data_dir: Path, files: dict[str, str]) -> None:
    """Each file (path under the data folder: its text) written, folders made as needed."""
    for name, text in files.items():
        path = data_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
