"""Works offline; sends nothing anywhere: a nightly run and every command, with no network at all
(`unshare -n`) and traced (`strace -f -e trace=connect`), succeed and connect to nothing outside the machine
— no usage statistics (dbt, Great Expectations, Dagster), no version check. `make dev`: test_dagster_dev.py."""

import json
import os
import sys

import pytest

from orchestration.data_folder import DataFolder
from orchestration.demo.company import generate_company
from tests.support.membrana import MEMBRANA, failure, membrana_env
from tests.support.offline import outside_connections, run_offline, why_not_offline

NOT_OFFLINE = why_not_offline()
offline = pytest.mark.skipif(NOT_OFFLINE is not None, reason=NOT_OFFLINE or "")


def environment(folder: DataFolder) -> dict[str, str]:
    """A user's environment; the import path kept when the tests run on a checkout given by PYTHONPATH."""
    extra = {"PYTHONPATH": os.environ["PYTHONPATH"]} if os.environ.get("PYTHONPATH") else {}
    return membrana_env(folder.root, **extra)


@pytest.fixture(scope="module")
def company(tmp_path_factory) -> DataFolder:
    folder = DataFolder(tmp_path_factory.mktemp("offline_company"))
    generate_company(folder.root, contacts=400)
    return folder


@pytest.fixture(scope="module")
def offline_run(company, tmp_path_factory):
    """The company's first nightly run (a full build), with no network."""
    return run_offline([MEMBRANA, "run"], env=environment(company),
                       trace_file=tmp_path_factory.mktemp("trace") / "run.strace")


def test_the_trace_sees_a_connection_outside(tmp_path):
    """The check itself: an attempt to reach the internet shows, whether it could succeed or not."""
    lines = """\
101 connect(3, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = -1 ENOENT (No such file or directory)
101 connect(4, {sa_family=AF_INET, sin_port=htons(5432), sin_addr=inet_addr("127.0.0.1")}, 16) = 0
101 connect(5, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", \
&sin6_addr), sin6_scope_id=0}, 28) = 0
102 connect(6, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16) = 0
103 connect(7, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \
"2001:db8::1", &sin6_addr), sin6_scope_id=0}, 28 <unfinished ...>
104 connect(8, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \
"::ffff:127.0.0.1", &sin6_addr), sin6_scope_id=0}, 28) = 0
104 <... connect resumed>) = -1 ENETUNREACH (Network is unreachable)
"""
    assert [line.split()[0] for line in outside_connections(lines)] == ["102", "103"]


@offline
def test_a_real_attempt_is_caught_under_the_same_harness(tmp_path):
    reach_out = ("import socket\nfor family, address in ((socket.AF_INET, ('192.0.2.1', 443)), "
                 "(socket.AF_INET6, ('2001:db8::1', 443)), (socket.AF_INET, ('127.0.0.1', 9))):\n"
                 "    try:\n        socket.socket(family, socket.SOCK_DGRAM).connect(address)\n"
                 "    except OSError:\n        pass\n")
    result, outside = run_offline([sys.executable, "-c", reach_out], env=dict(os.environ),
                                  trace_file=tmp_path / "probe.strace")
    assert result.returncode == 0, failure(result)
    assert len(outside) == 2 and "192.0.2.1" in outside[0] and "2001:db8::1" in outside[1], outside


@offline
def test_a_nightly_run_publishes_with_no_network_and_connects_nowhere(offline_run):
    result, outside = offline_run
    assert result.returncode == 0, failure(result)
    assert "Run published" in result.stdout
    assert outside == [], "membrana run tried to reach:\n" + "\n".join(outside)


@offline
@pytest.mark.parametrize("command", [
    ["status"], ["status", "--json"], ["plan"], ["dashboard"], ["export", "--out", "{tmp}/export"],
    ["metrics", "fixation_rate,romi", "--by", "week,channel_group"],
], ids=" ".join)
def test_every_command_works_with_no_network_and_connects_nowhere(offline_run, company, tmp_path, command):
    assert offline_run[0].returncode == 0, failure(offline_run[0])
    arguments = [part.format(tmp=tmp_path) for part in command]
    result, outside = run_offline([MEMBRANA, *arguments], env=environment(company),
                                  trace_file=tmp_path / "command.strace")
    assert result.returncode == 0, failure(result)
    assert outside == [], f"membrana {' '.join(command)} tried to reach:\n" + "\n".join(outside)


@offline
def test_the_dbt_docs_build_with_no_network_and_their_page_loads_no_tracker(offline_run, company, tmp_path):
    """`dbt docs generate` sends usage statistics unless told not to, and the docs page then loads dbt
    Labs' tracker in the browser (it reads the flag from the manifest)."""
    assert offline_run[0].returncode == 0, failure(offline_run[0])
    result, outside = run_offline([MEMBRANA, "docs", "--no-serve"], env=environment(company),
                                  trace_file=tmp_path / "docs.strace")
    assert result.returncode == 0, failure(result)
    assert outside == [], "membrana docs tried to reach:\n" + "\n".join(outside)
    manifest = json.loads((company.root / "dbt_docs" / "manifest.json").read_text())
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False
