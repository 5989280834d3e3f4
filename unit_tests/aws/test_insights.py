"""One Logs Insights query: start, poll, page, stop. The API is a stub: the statuses, pages and refusals under
test come in the order a test needs, which a server does not do on demand."""

from __future__ import annotations

from typing import Any

import pytest

from source_cloudwatch_logs.aws.client import LogsClient
from source_cloudwatch_logs.aws.errors import AwsError, Fault
from source_cloudwatch_logs.aws.insights import (
    BUSY_DEADLINE_S,
    BUSY_WAIT_S,
    PAGE_ROWS,
    POLL_FIRST_S,
    POLL_GROWTH,
    POLL_MAX_S,
    POLL_ROWS,
    LogsInsights,
    QuerySpec,
)
from source_cloudwatch_logs.aws.pacing import ApiStats
from source_cloudwatch_logs.aws.waits import RATE_LIMITED_AFTER_S, Waits
from unit_tests.conftest import StubClient, aws_error

SPEC = QuerySpec(groups=("g",), text="fields @timestamp", start_s=10, end_s=20)


class QueryStub:
    def __init__(self, starts: list[Any], results: list[Any]) -> None:
        self.starts, self.results = starts, results
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def start_query(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("StartQuery", params))
        return self._next(self.starts)

    def get_query_results(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("GetQueryResults", params))
        return self._next(self.results)

    def stop_query(self, **params: Any) -> dict[str, Any]:
        self.calls.append(("StopQuery", params))
        return {"success": True}

    _next = staticmethod(StubClient._next)  # the next scripted answer, or its exception raised

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.calls]


def insights(starts: list[Any], results: list[Any]) -> tuple[LogsInsights, QueryStub, list[float]]:
    stub = QueryStub(starts, results)
    logs = LogsClient(client=stub, region="us-east-1", endpoint="https://x", stats=ApiStats(), limiters={})
    slept: list[float] = []
    return LogsInsights(logs=logs, max_queries=2, sleep=slept.append), stub, slept


def row(n: int) -> list[dict[str, str]]:
    return [{"field": "@timestamp", "value": f"2026-11-30 00:00:00.{n:03d}"}, {"field": "@ptr", "value": f"p{n}"}]


def test_a_query_is_polled_until_complete_then_its_rows_are_paged() -> None:
    statuses = [{"status": "Scheduled"}] + [{"status": "Running"}] * 7
    complete = {
        "status": "Complete",
        "results": [row(1)],
        "statistics": {"recordsMatched": 2.0, "bytesScanned": 99.0},
        "nextToken": "n1",
    }
    client, stub, slept = insights([{"queryId": "q"}], [*statuses, complete, {"results": [row(2)]}])
    result = client.run(SPEC, stream="s", log_group="g")
    assert [r["@ptr"] for r in result.rows] == ["p1", "p2"]
    assert (result.records_matched, result.bytes_scanned, result.truncated) == (2, 99, False)
    assert stub.calls[0] == (
        "StartQuery",
        {"logGroupNames": ["g"], "queryString": "fields @timestamp", "startTime": 10, "endTime": 20, "limit": 100_000},
    )
    polls = [("GetQueryResults", {"queryId": "q", "maxItems": POLL_ROWS})] * 9
    assert stub.calls[1:] == [*polls, ("GetQueryResults", {"queryId": "q", "maxItems": PAGE_ROWS, "nextToken": "n1"})]
    assert POLL_ROWS == 1
    assert slept == [POLL_FIRST_S * POLL_GROWTH**n for n in range(6)] + [POLL_MAX_S, POLL_MAX_S]
    assert POLL_FIRST_S * POLL_GROWTH**5 < POLL_MAX_S < POLL_FIRST_S * POLL_GROWTH**6
    assert "StopQuery" not in stub.operations()


def test_partial_rows_of_a_running_query_are_never_kept_and_the_complete_poll_rows_are() -> None:
    """A Running answer carries "only partial results" (API Reference): dropped; the Complete poll's row is kept
    and the paging goes on from its token, so no row is asked for twice."""
    running = {"status": "Running", "results": [row(9)], "nextToken": "partial"}
    complete = {"status": "Complete", "results": [row(1)], "statistics": {"recordsMatched": 3.0}, "nextToken": "n1"}
    pages = [{"results": [row(2)], "nextToken": "n2"}, {"results": [row(3)]}]
    client, stub, _ = insights([{"queryId": "q"}], [running, running, complete, *pages])
    result = client.run(SPEC, stream="s", log_group="g")
    assert [r["@ptr"] for r in result.rows] == ["p1", "p2", "p3"]
    assert [params for _, params in stub.calls[1:]] == [
        {"queryId": "q", "maxItems": 1},
        {"queryId": "q", "maxItems": 1},
        {"queryId": "q", "maxItems": 1},
        {"queryId": "q", "maxItems": 10_000, "nextToken": "n1"},
        {"queryId": "q", "maxItems": 10_000, "nextToken": "n2"},
    ]


def test_an_endpoint_that_ignores_max_items_answers_every_row_at_once() -> None:
    complete = {"status": "Complete", "results": [row(1), row(2)], "statistics": {"recordsMatched": 2.0}}
    client, stub, _ = insights([{"queryId": "q"}], [complete])
    assert [r["@ptr"] for r in client.run(SPEC, stream="s", log_group="g").rows] == ["p1", "p2"]
    assert stub.operations() == ["StartQuery", "GetQueryResults"]


def test_group_arns_go_in_log_group_identifiers() -> None:
    spec = QuerySpec(groups=("arn:aws:logs:us-east-1:210987654321:log-group:g",), text="x", start_s=1, end_s=1)
    assert spec.params()["logGroupIdentifiers"] == ["arn:aws:logs:us-east-1:210987654321:log-group:g"]


def test_a_truncated_result_says_so() -> None:
    complete = {"status": "Complete", "results": [row(1)], "statistics": {"recordsMatched": 5.0}}
    client, _, _ = insights([{"queryId": "q"}], [complete])
    assert client.run(SPEC, stream="s", log_group="g").truncated


@pytest.mark.parametrize("status", ["Failed", "Cancelled", "Timeout", "Unknown"])
def test_a_query_that_ends_otherwise_fails_the_stream_transiently(status: str) -> None:
    client, stub, _ = insights([{"queryId": "q"}], [{"status": status}])
    with pytest.raises(AwsError) as raised:
        client.run(SPEC, stream="s", log_group="g")
    assert raised.value.fault == Fault.TRANSIENT
    assert raised.value.message.startswith(
        f"Stream 's': a Logs Insights query of log group 'g' ended with status {status}."
    )
    assert stub.operations()[-1] == "StopQuery"  # best effort, even if it already ended


def test_a_failure_while_reading_results_stops_the_query() -> None:
    client, stub, _ = insights(
        [{"queryId": "q"}], [aws_error("ServiceUnavailableException", "down", "GetQueryResults")]
    )
    with pytest.raises(AwsError):
        client.run(SPEC, stream="s", log_group="g")
    assert stub.calls[-1] == ("StopQuery", {"queryId": "q"})


def test_limit_exceeded_waits_longer_each_time_and_then_starts() -> None:
    busy = aws_error(
        "LimitExceededException", "Account maximum query concurrency limit of [100] reached.", "StartQuery"
    )
    complete = {"status": "Complete", "results": [], "statistics": {"recordsMatched": 0.0}}
    client, stub, slept = insights([busy, busy, busy, {"queryId": "q"}], [complete])
    assert client.run(SPEC, stream="s", log_group="g").rows == []
    assert slept == [BUSY_WAIT_S, BUSY_WAIT_S * 2, BUSY_WAIT_S * 4]
    assert stub.operations() == ["StartQuery"] * 4 + ["GetQueryResults"]


def test_waits_for_the_concurrent_query_limit_are_the_streams_and_told_once_past_the_threshold() -> None:
    """The stub answers without botocore's events: the answer that ends the stretch is aws/test_waits.py's."""
    busy = aws_error(
        "LimitExceededException", "Account maximum query concurrency limit of [100] reached.", "StartQuery"
    )
    complete = {"status": "Complete", "results": [], "statistics": {"recordsMatched": 0.0}}
    heard: list[tuple[str, bool, int | None, int]] = []
    slept: list[float] = []
    waits = Waits(on_wait=lambda stream, waiting, at_ms: heard.append((stream, waiting, at_ms, len(slept))))
    stub = QueryStub([busy, busy, busy, {"queryId": "q"}], [complete])
    logs = LogsClient(client=stub, region="us-east-1", endpoint="https://x", stats=ApiStats(), limiters={}, waits=waits)
    LogsInsights(logs=logs, max_queries=2, sleep=slept.append).run(SPEC, stream="s", log_group="g")
    assert BUSY_WAIT_S <= RATE_LIMITED_AFTER_S < BUSY_WAIT_S * 3  # the second wait is past the threshold
    assert [(stream, waiting, waits_before) for stream, waiting, _, waits_before in heard] == [("s", True, 1)]
    assert heard[0][2] is not None


def test_limit_exceeded_past_the_deadline_is_a_transient_error_that_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    busy = aws_error(
        "LimitExceededException", "Account maximum query concurrency limit of [100] reached.", "StartQuery"
    )
    client, _, slept = insights([busy] * 100, [])
    clock = iter(range(0, 10_000, 100))
    monkeypatch.setattr("source_cloudwatch_logs.aws.insights.time.monotonic", lambda: next(clock))
    with pytest.raises(AwsError) as raised:
        client.run(SPEC, stream="s", log_group="g")
    assert raised.value.fault == Fault.TRANSIENT
    assert sum(slept) < BUSY_DEADLINE_S
    assert raised.value.message == (
        "Stream 's': Logs Insights refused more queries for long (Account maximum query concurrency limit of [100] "
        "reached.): dashboards, scheduled queries and other tools of the account use its concurrent queries (fewer "
        "still for Infrequent Access log groups). Lower max_concurrent_queries or sync when fewer queries run; the "
        "next attempt resumes from the state."
    )


def test_a_malformed_query_is_a_config_error_naming_the_setting() -> None:
    bad = aws_error("MalformedQueryException", "unexpected symbol found x at line 1 and position 1", "StartQuery")
    client, _, _ = insights([bad], [])
    with pytest.raises(AwsError) as raised:
        client.run(SPEC, stream="r", log_group="g", field="custom_log_reports[0].query")
    assert raised.value.fault == Fault.CONFIG
    assert raised.value.message == (
        "Stream 'r': Logs Insights cannot compile `custom_log_reports[0].query` (unexpected symbol found x at line 1 "
        "and position 1). Fix `custom_log_reports[0].query` and run check again."
    )


def test_stop_all_stops_what_still_runs() -> None:
    client, stub, _ = insights([{"queryId": "q1"}], [])
    client._start(SPEC, stream="s", log_group="g", field=None)
    client.stop_all()
    client.stop_all()  # nothing left: no second call
    assert stub.operations() == ["StartQuery", "StopQuery"]


# Issue 20: an endpoint whose StartQuery `limit` stops at 10,000, and the connector's own query failing to compile.

SMALLER_LIMIT = aws_error(
    "InvalidParameterException",
    "1 validation error detected: Value '100000' at 'limit' failed to satisfy constraint: Member must have value "
    "less than or equal to 10000",
    "StartQuery",
)


def test_an_endpoint_that_caps_limit_at_10000_is_read_with_10000_for_the_rest_of_the_sync_said_once() -> None:
    complete = {"status": "Complete", "results": [row(1)], "statistics": {"recordsMatched": 1.0}}
    stub = QueryStub([SMALLER_LIMIT, {"queryId": "q1"}, {"queryId": "q2"}], [complete, complete])
    logs = LogsClient(client=stub, region="us-east-1", endpoint="https://x", stats=ApiStats(), limiters={})
    warned: list[str] = []
    client = LogsInsights(logs=logs, max_queries=2, sleep=lambda s: None, warn=warned.append)
    first = client.run(SPEC, stream="s", log_group="g")
    second = client.run(SPEC, stream="t", log_group="g")
    assert (first.limit, second.limit) == (10_000, 10_000)
    limits = [params["limit"] for operation, params in stub.calls if operation == "StartQuery"]
    assert limits == [100_000, 10_000, 10_000]
    assert warned == [
        "Logs Insights at https://x refused StartQuery's limit of 100000 rows (1 validation error detected: Value "
        "'100000' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 10000): "
        "every query of this sync asks for at most 10000 rows instead, so windows holding more events take more "
        "queries. Nothing is skipped."
    ]


def test_a_refused_limit_that_is_not_larger_than_the_endpoints_is_an_error_as_before() -> None:
    client, stub, _ = insights([SMALLER_LIMIT], [])
    spec = QuerySpec(groups=("g",), text="fields @timestamp", start_s=10, end_s=20, limit=10_000)
    with pytest.raises(AwsError) as raised:
        client.run(spec, stream="s", log_group="g")
    assert raised.value.fault == Fault.TRANSIENT
    assert stub.operations() == ["StartQuery"]


def test_the_connectors_own_query_failing_to_compile_does_not_ask_the_user_to_fix_a_query() -> None:
    bad = aws_error("MalformedQueryException", "unexpected symbol found toMillis at line 1", "StartQuery")
    client, _, _ = insights([bad], [])
    with pytest.raises(AwsError) as raised:
        client.run(SPEC, stream="cheap", log_group="cheap")
    assert raised.value.fault == Fault.SYSTEM
    assert raised.value.message == (
        "Stream 'cheap': Logs Insights cannot compile the connector's own query of log group 'cheap' (unexpected "
        "symbol found toMillis at line 1). It is not a query from the configuration, so there is nothing in it to "
        "fix: check that endpoint_url, if set, is a CloudWatch Logs endpoint with Logs Insights, and otherwise "
        "report this message to the connector's maintainers."
    )
