"""dbt names the module that declared an adapter's behaviour flag; membrana reads that name from the frames'
globals instead of dbt's `inspect.stack()` (a second per night): the same name as dbt's own way gives."""

import inspect

from dbt_common.behavior_flags import BehaviorFlagRendered

from orchestration.build.dbt_runner import name_flag_sources_by_frame


def declared_here() -> BehaviorFlagRendered:
    return BehaviorFlagRendered({"name": "some_flag", "default": False, "description": "a test flag"}, {})


def first_module_outside_behavior_flags() -> str:
    """dbt's own way, as dbt_common wrote it: the first frame of the stack whose module is not its own."""
    for frame in inspect.stack():
        module = inspect.getmodule(frame[0])
        if module and module.__name__ != BehaviorFlagRendered.__module__:
            return module.__name__
    return "Unknown"


def test_a_flag_s_source_is_the_module_that_declared_it():
    name_flag_sources_by_frame()
    assert declared_here()._behavior_change_event.flag_source == __name__ == first_module_outside_behavior_flags()


def test_a_flag_that_names_its_source_keeps_it():
    name_flag_sources_by_frame()
    flag = BehaviorFlagRendered({"name": "f", "default": False, "description": "d", "source": "dbt-duckdb"}, {})
    assert flag._behavior_change_event.flag_source == "dbt-duckdb"
