"""Data-quality gates: what must hold before the marts are published (write-audit-publish)."""

import sys


def name_an_anonymous_main_module() -> None:
    """Great Expectations imports pyspark when it is installed (the `spark` extra), and pyspark exits a
    process whose __main__ has neither a spec nor a file, taking it for a doctest run: Dagster's run
    workers (a run launched from the UI), `python -c` and test workers are such processes."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None and not hasattr(main, "__file__"):
        main.__file__ = "membrana"
