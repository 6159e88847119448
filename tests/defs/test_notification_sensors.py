"""A run Dagster starts itself (the UI, the schedule, a sensor) is told by the run status sensors, read back
from the instance; a run `membrana run` recorded is left to it (it notified on its own)."""

import dagster as dg
import pytest

from orchestration.dagster_instance import LAUNCHED_BY_MEMBRANA_RUN, LAUNCHED_BY_TAG
from orchestration.data_folder import DataFolder
from orchestration.definitions import membrana_definitions
from orchestration.defs.notifications import notify_after_failed_run
from orchestration.defs.resources import WarehouseResource
from orchestration.demo.company import generate_company
from tests.support.lock_holder import LockHolder
from tests.support.membrana import write_files
from tests.support.notification_servers import WebhookReceiver


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> DataFolder:
    folder = DataFolder(tmp_path_factory.mktemp("sensor_company"))
    generate_company(folder.root, contacts=400)
    return folder


def failed_run(folder: DataFolder, instance: dg.DagsterInstance, tags: dict) -> dg.ExecuteInProcessResult:
    """The nightly job as the UI launches it, failing at once: another process holds the data folder."""
    job = membrana_definitions(folder).resolve_job_def("nightly_job")
    with LockHolder(folder.root, command="membrana run"):
        result = job.execute_in_process(raise_on_error=False, instance=instance, tags=tags)
    assert not result.success
    return result


def evaluate_failure_sensor(folder: DataFolder, instance, result):
    with dg.build_run_status_sensor_context(
        sensor_name="notify_after_failed_run", dagster_event=result.get_run_failure_event(),
        dagster_instance=instance, dagster_run=result.dagster_run,
        resources={"warehouse": WarehouseResource(data_dir=str(folder.root))},
    ).for_run_failure() as context:
        return notify_after_failed_run(context)


def test_a_failed_run_of_the_ui_is_told_once_with_its_reason(company):
    with WebhookReceiver() as webhook, dg.DagsterInstance.ephemeral() as instance:
        write_files(company.root, {"config/notifications.csv":
                                   f"channel,address,events\nwebhook,http://127.0.0.1:{webhook.port}/hook,run_failed\n"})
        result = failed_run(company, instance, tags={})
        evaluate_failure_sensor(company, instance, result)
        evaluate_failure_sensor(company, instance, result)  # the daemon retrying the same run: told once
    assert len(webhook.posts) == 1
    text = webhook.posts[0][2]["text"]
    assert text.splitlines()[0] == f"membrana · {company.root.name}: the nightly run failed"
    assert f"failed: another run holds the data folder {company.root} (since " in text


def test_a_run_of_membrana_run_is_left_to_it(company):
    with WebhookReceiver() as webhook, dg.DagsterInstance.ephemeral() as instance:
        write_files(company.root, {"config/notifications.csv":
                                   f"channel,address,events\nwebhook,http://127.0.0.1:{webhook.port}/hook,all\n"})
        result = failed_run(company, instance, tags={LAUNCHED_BY_TAG: LAUNCHED_BY_MEMBRANA_RUN})
        skipped = evaluate_failure_sensor(company, instance, result)
    assert isinstance(skipped, dg.SkipReason) and "membrana run" in skipped.skip_message
    assert webhook.posts == []
