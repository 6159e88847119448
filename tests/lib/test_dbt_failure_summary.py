"""The line a failed dbt build gives the user, and the detail kept for the run log and the Dagster UI."""

from orchestration.build.dbt_runner import DbtInvocation, NodeResult, failure_summary


def node(unique_id: str, status: str, message: str | None) -> NodeResult:
    return NodeResult(unique_id=unique_id, status=status, seconds=0.1, failures=None, message=message)


def test_the_headline_names_the_first_failure_and_counts_the_others():
    invocation = DbtInvocation(False, [
        node("model.membrana.stg_crm__leads", "success", None),
        node("model.membrana.kpi_monthly", "error", "Runtime Error\n  Out of Memory Error: could not allocate"),
        node("test.membrana.not_null_kpi_monthly_month.abc", "fail", "Got 3 results, configured to fail if != 0"),
        node("model.membrana.alerts", "skipped", None),
    ])
    lines = failure_summary(invocation).splitlines()
    assert lines[0] == "model kpi_monthly errored: Runtime Error (+1 more)"
    # Every failed node follows with dbt's whole message; what passed or was skipped is not listed.
    assert "model.membrana.kpi_monthly error: Runtime Error" in lines[1]
    assert any("Out of Memory Error: could not allocate" in line for line in lines)
    assert lines[-1] == "test.membrana.not_null_kpi_monthly_month.abc fail: Got 3 results, configured to fail if != 0"
    assert not any("alerts" in line or "stg_crm__leads" in line for line in lines)


def test_a_failed_test_alone_is_named_as_a_test():
    invocation = DbtInvocation(False, [node("test.membrana.unique_clients_client_key.d1", "fail", "Got 2 results")])
    assert failure_summary(invocation).splitlines()[0] == "test unique_clients_client_key failed: Got 2 results"


def test_dbt_stopping_before_any_node_gives_its_own_error():
    invocation = DbtInvocation(False, [], error="Parsing Error: a model's YAML is not valid")
    assert failure_summary(invocation) == "Parsing Error: a model's YAML is not valid"
