"""Run `membrana`, dbt or a Python script in a subprocess, as a user would, and write landing files.

Every subprocess of the tests starts here (run_command): output captured as text, a timeout, no exception
on a non-zero exit — the test asserts on the result."""

import os
import subprocess
import sys
from pathlib import Path

from orchestration.data_folder import DBT_PROJECT_DIR, PROJECT_ROOT

BIN = Path(sys.executable).parent  # the virtualenv's bin/: membrana, dbt, python
MEMBRANA = BIN / "membrana"
DBT = BIN / "dbt"


def run_command(command: list, *, env: dict | None = None, timeout: float = 600,
                cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The one subprocess runner. env None: this process's environment. A `membrana` command is forked from a
    warm interpreter (tests/support/warm_start.py): the same process as far as a test can tell, seconds sooner."""
    from tests.support.warm_start import WARM, warm_startable

    command = [str(part) for part in command]
    if warm_startable(command):
        return WARM.run(command, dict(os.environ) if env is None else env, cwd, timeout)
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False, env=env, cwd=cwd)


def failure(result: subprocess.CompletedProcess, tail: int = 2000) -> str:
    """A failed run for an assertion message: one line saying what exited how, then the end of its output."""
    command = " ".join([Path(result.args[0]).name, *result.args[1:]])
    return f"`{command}` exited {result.returncode}\n{result.stdout[-tail:]}{result.stderr[-tail:]}"


def membrana_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """A user's bare environment: the virtualenv's bin/ on PATH, the data folder, HOME there too. PYTHONPATH is
    kept when set: it names the checkout under test (a git worktree sharing another checkout's virtualenv,
    whose editable install would otherwise import that checkout's `orchestration`)."""
    kept = {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
    return {"PATH": str(BIN), "MEMBRANA_DATA_DIR": str(data_dir), "HOME": str(data_dir), **kept, **extra}


def run_membrana(*args, data_dir: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`membrana ARGS` on `data_dir`, with `env` added to the bare environment."""
    return run_command([MEMBRANA, *args], env=membrana_env(data_dir, **(env or {})))


def run_ok(data_dir: Path, *args) -> subprocess.CompletedProcess:
    """`membrana run ARGS` that must pass."""
    result = run_membrana("run", *args, data_dir=data_dir)
    assert result.returncode == 0, failure(result)
    return result


def dbt_env(data_dir: Path, env: dict[str, str | None] | None = None) -> dict[str, str]:
    """dbt's environment against `data_dir`'s warehouse: this process's with the virtualenv's bin/ first on
    PATH; `env` entries added, a None value removed."""
    run_env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
               "MEMBRANA_DATA_DIR": str(data_dir)}
    for name, value in (env or {}).items():
        if value is None:
            run_env.pop(name, None)
        else:
            run_env[name] = value
    return run_env


def dbt_project_args(target_path: Path, project_dir: Path = DBT_PROJECT_DIR) -> list:
    """The arguments that point a dbt command at the project (or a copy of it) and its target folder."""
    return ["--project-dir", project_dir, "--profiles-dir", PROJECT_ROOT, "--target-path", target_path]


def run_dbt(*args, data_dir: Path, target_path: Path, project_dir: Path = DBT_PROJECT_DIR,
            env: dict[str, str | None] | None = None, timeout: float = 600,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`dbt ARGS` on the project (or a copy of it) against `data_dir`'s warehouse (environment: dbt_env)."""
    return run_command([DBT, *args, *dbt_project_args(target_path, project_dir)], env=dbt_env(data_dir, env),
                       timeout=timeout, cwd=cwd)


def run_python(script: Path, *args, timeout: float = 600) -> subprocess.CompletedProcess:
    """A Python script (a contract check, the benchmark) with this interpreter, in this environment."""
    return run_command([sys.executable, script, *args], timeout=timeout)


def write_files(data_dir: Path, files: dict[str, str]) -> None:
    """Each file (path under the data folder: its text) written, folders made as needed."""
    for name, text in files.items():
        path = data_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
