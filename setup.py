"""The wheel carries, beside the `orchestration` package, what it reads at run time from outside it: the dbt
project and profiles.yml. A source checkout keeps them next to the package; the wheel puts a copy in
orchestration/bundled/ (orchestration/data_folder.py finds one or the other). Everything else is in
pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# what dbt reads of the project (its target/ and logs/ are written by runs, never shipped)
DBT_PROJECT_PARTS = ("dbt_project.yml", "models", "macros", "tests", "analyses")


class BuildPyWithDbtProject(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):  # an editable install reads the checkout itself
            return
        bundled = Path(self.build_lib) / "orchestration" / "bundled"
        shutil.rmtree(bundled, ignore_errors=True)
        for part in DBT_PROJECT_PARTS:
            source, target = ROOT / "dbt_project" / part, bundled / "dbt_project" / part
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, target)
        shutil.copy2(ROOT / "profiles.yml", bundled / "profiles.yml")


setup(cmdclass={"build_py": BuildPyWithDbtProject})
