"""The package's shape: no import cycles between its modules, and nothing runs when it is imported."""

import ast
import math
import os
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "orchestration"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package's modules `path` imports, at any level (a function-level import is still a dependency)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {name for name in names if name in modules}
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    modules = set(files)
    # a module depends on what it imports, not on its package's __init__ (which holds only a docstring)
    return {name: imports_of(path, modules) - {name} for name, path in files.items()}


def test_the_import_graph_has_no_cycle():
    graph = import_graph()
    assert graph["orchestration.nightly.run"], "the graph must see imports (or this test checks nothing)"
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


def test_a_cycle_would_be_found(monkeypatch):
    """The check itself: a cycle added to the real graph is reported."""
    graph = import_graph()
    graph["orchestration.data_folder"] = {"orchestration.cli"}
    with pytest.raises(CycleError):
        tuple(TopologicalSorter(graph).static_order())


# Imports the code location and the command with every way of running dbt or another program made to fail
# but one: Dagster's vendored croniter asks platform.architecture(), which runs `file -b <python>` where the
# `file` command is installed: the library's probe, not membrana's work.
IMPORT_WITH_WORK_FORBIDDEN = """
import subprocess
import orchestration.dbt_manifest as dbt_manifest

popen = subprocess.Popen

def forbidden(*args, **kwargs):
    raise AssertionError("work on import: " + repr(args[:1]))

def forbidden_but_the_platform_probe(command, *args, **kwargs):
    if list(command[:2]) == ["file", "-b"]:
        return popen(command, *args, **kwargs)
    forbidden(command)

subprocess.Popen = forbidden_but_the_platform_probe
dbt_manifest.prepare_manifest_if_stale = forbidden
import orchestration.definitions, orchestration.cli, orchestration.nightly.run
print("imported")
"""


def test_importing_the_code_location_runs_nothing(tmp_path):
    """No dbt parse, no subprocess on import: the manifest is prepared when the definitions are loaded."""
    imported = subprocess.run([sys.executable, "-c", IMPORT_WITH_WORK_FORBIDDEN], capture_output=True, text=True,
                              env={**os.environ, "MEMBRANA_DATA_DIR": str(tmp_path)}, check=False)
    assert imported.returncode == 0 and imported.stdout.strip() == "imported", imported.stderr[-2000:]


def test_loading_the_definitions_is_where_the_manifest_is_prepared(tmp_path):
    """The same guard catches the preparation once the definitions are loaded (so it can fail)."""
    loading = IMPORT_WITH_WORK_FORBIDDEN.replace('print("imported")', "orchestration.definitions.defs()")
    loaded = subprocess.run([sys.executable, "-c", loading], capture_output=True, text=True,
                            env={**os.environ, "MEMBRANA_DATA_DIR": str(tmp_path)}, check=False)
    assert loaded.returncode != 0 and "work on import" in loaded.stderr


def test_the_expectation_suites_import_in_a_process_without_a_main_file():
    """A Dagster run worker's __main__ has no file: importing the suites there must not end the process
    (pyspark, imported by Great Expectations, exits such a process with status 0 and no output)."""
    imported = subprocess.run([sys.executable, "-c", "import orchestration.quality.suites; print('imported')"],
                              capture_output=True, text=True, check=False)
    assert imported.stdout.strip() == "imported", imported.stderr[-2000:]


DEFERRED_SCIPY = """
import sys
import orchestration.quality.suites
from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
print(type(sys.modules["scipy.stats"]).__name__)
print(kl.stats.entropy([0.5, 0.5], [0.25, 0.75]))  # used: imported then
print(type(sys.modules["scipy.stats"]).__name__)
"""


def test_scipy_stats_is_imported_only_when_an_expectation_uses_it():
    """Great Expectations' import leaves scipy.stats deferred (none of membrana's suites use it); a use
    imports it, and the module Great Expectations holds then works as the real one."""
    ran = subprocess.run([sys.executable, "-c", DEFERRED_SCIPY], capture_output=True, text=True, check=False)
    assert ran.returncode == 0, ran.stderr[-2000:]
    before, entropy, after = ran.stdout.split()
    expected = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)  # KL divergence by its definition
    assert (before, after) == ("DeferredModule", "module")
    assert math.isclose(float(entropy), expected)
