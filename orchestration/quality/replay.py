"""The last result of each check, kept so that a night with nothing new replays it instead of checking
again: dbt did not rebuild the marts (see defs/transform/dbt_assets.py: no row loaded, config and dbt
project unchanged), so the checks would read the same rows and give the same results. The night saves
dbt's tests, Great Expectations' import (2–3 s) and the validations.

In the data folder's logs/check_results/ (`results_dir`): one JSON file per mart's expectation suite and one with the dbt tests,
each with the build whose tables it judged (its audit.build_state: a result from before the last build is
not replayed, should a run have stopped between dbt and the checks). A suite's result also keeps a
fingerprint of the code that judged it (the suites, the validation module, the GE version: a changed
suite is validated again); dbt's tests are part of the dbt project, whose change is a new build.
Nothing here imports Great Expectations."""

import hashlib
import importlib
import json
import threading
from importlib.metadata import version
from pathlib import Path

from orchestration.build.build_state import read_state
from orchestration.quality.gates import GateOutcome

BUILD_IDENTITY = ("built_through", "config_fingerprint", "dbt_project_fingerprint", "built_on")

QUALITY_CODE = [Path(__file__).with_name("suites.py"), Path(__file__).with_name("expectations.py")]


def suites_fingerprint() -> str:
    digest = hashlib.sha256(version("great_expectations").encode())
    for path in QUALITY_CODE:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_identity(con) -> dict[str, str | None]:
    """The last successful build, which made the tables the marts have now."""
    state = read_state(con)
    return {key: state.get(key) for key in BUILD_IDENTITY}


def store_dbt_test_results(results_dir: Path, build: dict[str, str], results: list[dict]) -> None:
    """The dbt tests' results of a whole build, stored before it is recorded (`build`: the values it will
    record under BUILD_IDENTITY)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "dbt_tests.json").write_text(json.dumps({"build": build, "results": results}, indent=1) + "\n")


def stored_dbt_test_results(results_dir: Path, con) -> list[dict]:
    """The dbt tests' results of the current build; none if they judged another build's tables."""
    try:
        stored = json.loads((results_dir / "dbt_tests.json").read_text())
    except (OSError, ValueError):
        return []
    return stored.get("results", []) if stored.get("build") == build_identity(con) else []


def store_result(results_dir: Path, con, mart: str, outcome: GateOutcome) -> None:
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / f"{mart}.json").write_text(json.dumps({
        "build": build_identity(con), "suites_fingerprint": suites_fingerprint(), "passed": outcome.passed, "severity": outcome.severity,
        "summary": outcome.summary, "metadata": outcome.metadata,
    }, indent=1) + "\n")


def stored_result(results_dir: Path, con, mart: str) -> GateOutcome | None:
    """The mart's last result, if the same suites judged the tables of the current build."""
    try:
        stored = json.loads((results_dir / f"{mart}.json").read_text())
    except (OSError, ValueError):
        return None
    if stored.get("build") != build_identity(con) or stored.get("suites_fingerprint") != suites_fingerprint():
        return None
    return GateOutcome(stored["passed"], stored["severity"], stored["summary"], stored["metadata"])


def preload_expectations() -> None:
    """Imports Great Expectations (seconds of CPU) in a background thread while dbt builds (its threads
    wait on the engine much of the time): the checks that need it come after that. Only a run that builds: on a night with nothing new
    the suites' last results are replayed (below) and GE is not needed."""
    threading.Thread(target=importlib.import_module, args=("orchestration.quality.suites",),
                     name="import-great-expectations", daemon=True).start()
