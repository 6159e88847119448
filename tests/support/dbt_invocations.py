"""dbt invocations one after another in one Python process, so that what they share starts once: on Spark
(method `session`) the JVM and its SparkSession, which dbt-spark gets again by `getOrCreate()` for every query.

`python tests/support/dbt_invocations.py PLAN RESULTS` (the tests call it through
tests.support.membrana.run_dbt_invocations). PLAN is a JSON list of steps, each either a dbt invocation
{"name": …, "args": [...], "env": {…}} (`env` entries set in the process's environment before it, a null value
removed) or a copy {"copy": folder, "to": folder}, to keep what an invocation left before the next changes it.
RESULTS gets {name: success} of the invocations run so far; the first failing invocation ends the process with
exit status 1 and its name on stderr. Nothing here imports the project: the script runs from any directory.
"""

import json
import os
import shutil
import sys
from pathlib import Path

from dbt.cli.main import dbtRunner


def main(plan: Path, results: Path) -> int:
    succeeded = {}
    for step in json.loads(plan.read_text()):
        if "copy" in step:
            shutil.copytree(step["copy"], step["to"])
            continue
        for name, value in step["env"].items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        succeeded[step["name"]] = dbtRunner().invoke(step["args"]).success
        results.write_text(json.dumps(succeeded))
        if not succeeded[step["name"]]:
            print(f"dbt invocation {step['name']!r} failed", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
