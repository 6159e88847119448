"""The package's shape: no import cycles between its modules, and nothing runs when it is imported."""

import ast
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


def test_importing_the_definitions_parses_nothing(tmp_path):
    """Importing the code location runs no dbt (its manifest is prepared when the definitions load)."""
    target = PACKAGE.parent / "dbt_project" / "target"
    manifest = target / "manifest.json"
    before = manifest.stat().st_mtime_ns if manifest.exists() else None
    model = next((PACKAGE.parent / "dbt_project" / "models").rglob("*.sql"))
    os.utime(model)  # the manifest is now stale: a parse on import would rewrite it
    subprocess.run([sys.executable, "-c", "import orchestration.definitions, orchestration.cli"], check=True,
                   env={**os.environ, "MEMBRANA_DATA_DIR": str(tmp_path)})
    after = manifest.stat().st_mtime_ns if manifest.exists() else None
    assert after == before
