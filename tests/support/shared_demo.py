"""One generated company built once per session and shared by the modules that test against a built demo
(tests/e2e/conftest.py hands it out as the fixtures built_demo and built_demo_to_change)."""

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from orchestration.demo.company import generate_company
from tests.support.membrana import run_ok

# The most contacts any module sharing the build asked for (test_pipeline's repeat buyers and ranks need it).
SHARED_DEMO_CONTACTS = 8000


@dataclass(frozen=True)
class BuiltDemo:
    data_dir: Path
    summary: dict  # what generate_company wrote, bad rows included
    first_run: subprocess.CompletedProcess  # the `membrana run` that built it from empty


def folder_state(folder: Path) -> dict[str, tuple[int, int]]:
    """Every entry under `folder` with its size and modification time: any write shows."""
    return {str(path.relative_to(folder)): (path.lstat().st_size, path.lstat().st_mtime_ns)
            for path in folder.rglob("*")}


@dataclass(frozen=True)
class SharedDemo:
    """The built company and an untouched copy of it. Modules always get the same folder: the warehouse
    remembers its landing files by absolute path, so a copy elsewhere would load every file again."""

    demo: BuiltDemo
    pristine: Path
    state: dict[str, tuple[int, int]]

    def restored(self) -> BuiltDemo:
        """The folder as the build left it, put back from the untouched copy if a module changed it."""
        folder = self.demo.data_dir
        if folder_state(folder) != self.state:
            shutil.rmtree(folder)
            shutil.copytree(self.pristine, folder, symlinks=True)  # copy2 keeps mtimes: no file looks new
            assert folder_state(folder) == self.state
        return self.demo

    def changed(self) -> list[str]:
        """The entries of the folder added, removed or written since the build."""
        return sorted({path for path, _ in set(folder_state(self.demo.data_dir).items()) ^ set(self.state.items())})


def build_shared_demo(tmp_path_factory) -> SharedDemo:
    """The demo company generated, built from empty by `membrana run`, and copied aside untouched."""
    data_dir = tmp_path_factory.mktemp("shared_demo")
    summary = generate_company(data_dir, contacts=SHARED_DEMO_CONTACTS)
    first_run = run_ok(data_dir)
    pristine = tmp_path_factory.mktemp("shared_demo_pristine") / "copy"
    shutil.copytree(data_dir, pristine, symlinks=True)
    return SharedDemo(BuiltDemo(data_dir, summary, first_run), pristine, folder_state(data_dir))
