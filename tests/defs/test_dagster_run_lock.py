"""The Dagster path takes the data folder's run lock too: a run launched from the UI, the schedule or a
sensor (the warehouse resource) and the in-process job of `membrana run` (run_nightly_job) never overlap
another process's run, and say in one line which run holds the folder."""

import dagster as dg
import pytest

from orchestration.data_folder import DataFolder
from orchestration.definitions import membrana_definitions
from orchestration.defs.resources import WarehouseResource
from orchestration.demo.company import generate_company
from orchestration.nightly.failure import failure_reason
from orchestration.nightly.run import run_nightly_job
from orchestration.nightly.run_lock import RunInProgress, lock_path, run_lock
from tests.support.lock_holder import LockHolder


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> DataFolder:
    folder = DataFolder(tmp_path_factory.mktemp("locked_company"))
    generate_company(folder.root, contacts=400)
    return folder


def test_the_job_fails_at_once_naming_the_run_that_holds_the_folder(company):
    """As a run launched from the Dagster UI executes: its resources are set up first, and the warehouse's
    setup finds the folder taken — no step runs, nothing is loaded."""
    job = membrana_definitions(company).resolve_job_def("nightly_job")
    with LockHolder(company.root, command="membrana run") as other:
        result = job.execute_in_process(raise_on_error=False, instance=dg.DagsterInstance.ephemeral())
        assert not result.success
        assert not any(event.is_step_start for event in result.all_events)
        reason = failure_reason(result, company)
        assert reason.startswith(f"another run holds the data folder {company.root} (since ")
        assert reason.endswith(f", pid {other.pid}: membrana run)") and "\n" not in reason
    assert not company.warehouse.exists()


def test_the_in_process_job_touches_nothing_while_another_run_holds_the_folder(company):
    with LockHolder(company.root) as other, pytest.raises(RunInProgress) as refused:
        run_nightly_job(company)
    assert refused.value.holder.pid == other.pid
    assert sorted(path.name for path in company.logs.iterdir()) == ["run.lock"]  # no log, report or timings


def test_a_run_holds_the_folder_from_its_first_step_to_its_last(tmp_path):
    seen = []

    @dg.asset
    def first(warehouse: WarehouseResource) -> None:
        seen.append(lock_path(warehouse.folder).read_text())

    @dg.asset(deps=[first])
    def last(warehouse: WarehouseResource) -> None:
        seen.append(lock_path(warehouse.folder).read_text())

    result = dg.materialize([first, last], resources={"warehouse": WarehouseResource(data_dir=str(tmp_path))})
    assert result.success
    assert len(seen) == 2 and seen[0] == seen[1] and f'"Dagster run {result.run_id} of ' in seen[0]
    assert lock_path(DataFolder(tmp_path)).read_text() == ""  # let go after the last step


def test_the_resource_holds_the_lock_once_more_when_its_process_holds_it(tmp_path):
    """`membrana run` holds the lock and executes the job in the same process: no deadlock."""

    @dg.asset
    def only(warehouse: WarehouseResource) -> None:
        assert '"command": "membrana run"' in lock_path(warehouse.folder).read_text()

    with run_lock(DataFolder(tmp_path), command="membrana run"):
        assert dg.materialize([only], resources={"warehouse": WarehouseResource(data_dir=str(tmp_path))}).success


def test_a_sensor_looks_at_landing_while_a_run_holds_the_folder(tmp_path):
    """The sensor builds the warehouse resource outside a run: it takes no lock, so it never fails."""
    from orchestration.defs.sensors import landing_files_sensor

    (tmp_path / "landing" / "contacts").mkdir(parents=True)
    (tmp_path / "landing" / "contacts" / "a.csv").write_text("contact_id\n1\n")
    with (LockHolder(tmp_path),
          dg.build_sensor_context(cursor=None,
                                  resources={"warehouse": WarehouseResource(data_dir=str(tmp_path))}) as context):
        assert isinstance(landing_files_sensor(context), dg.RunRequest)
