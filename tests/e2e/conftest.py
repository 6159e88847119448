"""The e2e fixtures: the generated company built once per session (tests/support/shared_demo.py), handed
to each module that tests against a built demo."""

import pytest

from tests.support.shared_demo import BuiltDemo, SharedDemo, build_shared_demo


@pytest.fixture(scope="session")
def shared_demo(tmp_path_factory) -> SharedDemo:
    return build_shared_demo(tmp_path_factory)


@pytest.fixture(scope="module")
def built_demo(shared_demo) -> BuiltDemo:
    """The shared built company, for a module that only reads it: a write fails the module."""
    demo = shared_demo.restored()
    yield demo
    changed = shared_demo.changed()
    assert not changed, f"this module changed the shared demo (use built_demo_to_change): {changed[:5]}"


@pytest.fixture(scope="module")
def built_demo_to_change(shared_demo) -> BuiltDemo:
    """The shared built company, for a module that runs or edits it: the next module gets it restored."""
    return shared_demo.restored()
