"""Every file membrana reads at run time ships in its wheel: the wheel is built from the checkout (offline, with
the setuptools of this environment), installed into a fresh virtualenv that sees none of the checkout, and
renders the dashboard of a published snapshot exactly as the checkout does."""

import os
import shutil
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from orchestration.data_folder import DBT_PROJECT_DIR, DEFAULT_CONFIG_DIR, PACKAGE_DIR, PROJECT_ROOT
from orchestration.publish.dashboard import render_dashboard
from tests.support.membrana import failure, run_command

# what the wheel must carry, as paths inside it, each found in the checkout
DBT_PARTS = ("dbt_project.yml", "models", "macros", "tests", "analyses")
# what the build reads of the checkout: the package, the dbt project, profiles.yml and the build files
SOURCE_PARTS = ("orchestration", "dbt_project", "profiles.yml", "pyproject.toml", "setup.py", "README.md")


def files_under(root: Path, parts) -> set[str]:
    found = set()
    for part in parts:
        path = root / part
        found |= {p.relative_to(root).as_posix() for p in ([path] if path.is_file() else path.rglob("*"))
                  if p.is_file() and "__pycache__" not in p.parts and p.parent.name not in ("target", "logs")}
    return found


def runtime_files() -> set[str]:
    """The files the program reads at run time, as the wheel must name them."""
    package = {f"orchestration/{name}" for name in files_under(PACKAGE_DIR, ("defaults", "publish"))
               if not name.endswith(".py")}
    dbt_project = {f"orchestration/bundled/dbt_project/{name}" for name in files_under(DBT_PROJECT_DIR, DBT_PARTS)}
    return package | dbt_project | {"orchestration/bundled/profiles.yml"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel built from a clean copy of the checkout (the build writes build/ and *.egg-info beside its
    sources) and installed into a fresh virtualenv. The virtualenv gets the dependencies, not membrana, from
    this environment's site-packages by a .pth line: a path there is searched, its own .pth files (the
    editable install's import hook) are not run."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    for part in SOURCE_PARTS:
        copy = shutil.copytree if (PROJECT_ROOT / part).is_dir() else shutil.copy2
        copy(PROJECT_ROOT / part, source / part, **({"ignore": shutil.ignore_patterns(
            "__pycache__", "target", "logs")} if (PROJECT_ROOT / part).is_dir() else {}))
    built = run_command([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                         "--quiet", "--wheel-dir", work / "dist", source], timeout=120)
    assert built.returncode == 0, failure(built)
    (wheel,) = (work / "dist").glob("membrana-*.whl")

    venv = work / "venv"
    created = run_command([sys.executable, "-m", "venv", "--without-pip", venv])
    assert created.returncode == 0, failure(created)
    python = venv / "bin" / "python"
    installed = run_command([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
                             "--quiet", wheel], timeout=120)
    assert installed.returncode == 0, failure(installed)
    site_packages = Path(run_command([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
                        .stdout.strip())
    (site_packages / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return wheel, venv


def bare_env(home: Path) -> dict[str, str]:
    """No PYTHONPATH (it names the checkout) and no MEMBRANA_* variable of the test run."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": os.environ.get("LANG", "C.UTF-8")}


def test_the_wheel_carries_every_file_read_at_run_time(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = runtime_files()
    assert "orchestration/publish/dashboard.html.j2" in expected and "orchestration/defaults/dagster.yaml" in expected
    assert any(name.startswith("orchestration/defaults/mappings/") for name in expected)
    assert any(name.startswith("orchestration/bundled/dbt_project/models/marts/") for name in expected)
    assert sorted(expected - names) == []


def test_the_installed_package_reads_only_its_own_files(installed, tmp_path):
    _, venv = installed
    # entities.py reads the dbt project's _sources.yml on import (as suites.py its dbt_project.yml, but without
    # importing Great Expectations: seconds, not a minute)
    probe = ("import orchestration, orchestration.ingest.entities as entities; "
             "from orchestration.data_folder import DBT_PROJECT_DIR, DEFAULT_CONFIG_DIR, PROJECT_ROOT; "
             "from orchestration.ingest.adapters import PRESETS_DIR; "
             "print(orchestration.__file__, DBT_PROJECT_DIR, DEFAULT_CONFIG_DIR, PRESETS_DIR, PROJECT_ROOT, "
             "sorted(entities.ENTITIES), sep='\\n')")
    result = run_command([venv / "bin" / "python", "-c", probe], env=bare_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, failure(result)
    module, dbt_project, config, presets, root, entities = result.stdout.strip().splitlines()
    for path in (module, dbt_project, config, presets, root):
        assert Path(path).resolve().is_relative_to(venv.resolve()), path
    assert (Path(dbt_project) / "dbt_project.yml").is_file() and (Path(root) / "profiles.yml").is_file()
    assert sorted(p.name for p in Path(config).iterdir()) == sorted(p.name for p in DEFAULT_CONFIG_DIR.iterdir())
    # the raw entities declared in the bundled dbt project are the checkout's
    from orchestration.ingest.entities import ENTITIES
    assert entities == str(sorted(ENTITIES))


def test_the_installed_command_renders_the_dashboard_of_a_published_snapshot(installed, built_demo, tmp_path):
    _, venv = installed
    folder = tmp_path / "shop"
    (folder / "published").mkdir(parents=True)
    shutil.copy2(built_demo.data_dir / "published" / "membrana.duckdb", folder / "published" / "membrana.duckdb")
    shutil.copytree(built_demo.data_dir / "logs", folder / "logs")
    result = run_command([venv / "bin" / "membrana", "dashboard"],
                         env={**bare_env(tmp_path), "MEMBRANA_DATA_DIR": str(folder)}, cwd=tmp_path)
    assert result.returncode == 0, failure(result)
    page = (folder / "published" / "dashboard.html").read_text(encoding="utf-8")
    assert page == render_dashboard(folder, "en")  # what this checkout renders from the same snapshot
    assert 'id="kpi"' in page and "<svg" in page
