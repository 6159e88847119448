"""Data-quality gates: what must hold before the marts are published (write-audit-publish)."""

import importlib
import importlib.machinery
import sys
import types


def name_an_anonymous_main_module() -> None:
    """Great Expectations imports pyspark when it is installed (the `spark` extra), and pyspark exits a
    process whose __main__ has neither a spec nor a file, taking it for a doctest run: Dagster's run
    workers (a run launched from the UI), `python -c` and test workers are such processes."""
    main = sys.modules.get("__main__")
    if main is not None and getattr(main, "__spec__", None) is None and not hasattr(main, "__file__"):
        main.__file__ = "membrana"


class DeferredModule(types.ModuleType):
    """A module imported only when something first reads from it: until then, its name in sys.modules."""

    def __getattr__(self, name: str):
        if name.startswith("__"):  # the import system's own questions (__path__, __file__ …): not a use
            raise AttributeError(name)
        del sys.modules[self.__name__]
        module = importlib.import_module(self.__name__)
        self.__dict__.update(module.__dict__)  # whoever holds this object holds the module from now on
        return getattr(module, name)


def defer_unused_imports() -> None:
    """Great Expectations imports scipy.stats for its distribution expectations (KL divergence, KS tests),
    which membrana's suites do not use: about 0.5–1 s of every building night's CPU, spent while dbt builds.
    Deferred, it is imported if one of them ever runs."""
    name = "scipy.stats"
    if name not in sys.modules:
        module = DeferredModule(name)
        module.__spec__ = importlib.machinery.ModuleSpec(name, None)
        sys.modules[name] = module
