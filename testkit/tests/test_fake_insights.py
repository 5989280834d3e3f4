"""The fake's Logs Insights (testkit/fake_insights.py, testkit/insights_query.py) answers like AWS."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from testkit.fake_logs import FakeCloudWatch
from testkit.insights_query import insights_time
from testkit.tests.conftest import error_of, seed

GROUP = "/ia"


def run(logs: Any, query: str, start_s: int, end_s: int, **params: Any) -> tuple[list[str], dict[str, Any]]:
    """Start, poll to Complete; returns the statuses seen and the last answer."""
    query_id = logs.start_query(logGroupName=GROUP, startTime=start_s, endTime=end_s, queryString=query, **params)
    statuses = []
    while True:
        answer = logs.get_query_results(queryId=query_id["queryId"])
        statuses.append(answer["status"])
        if answer["status"] == "Complete":
            return statuses, answer
        time.sleep(0.01)


def values(answer: dict[str, Any], field: str) -> list[str]:
    return [item["value"] for row in answer["results"] for item in row if item["field"] == field]


def test_a_query_is_scheduled_then_running_then_complete(fake: FakeCloudWatch, logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms, "one")]})
    fake.plan.query_seconds = 0.3
    statuses, answer = run(logs, "fields @message", base_ms // 1000, base_ms // 1000)
    assert statuses[0] == "Scheduled" and "Running" in statuses and statuses[-1] == "Complete"
    assert statuses.index("Running") > 0 and statuses.count("Complete") == 1
    assert values(answer, "@message") == ["one"]


def test_times_are_seconds_with_both_ends_inclusive(logs: Any, base_ms: int) -> None:
    second = base_ms // 1000 * 1000
    seed(
        logs,
        GROUP,
        {"s": [(second - 1, "before"), (second, "first"), (second + 1999, "last"), (second + 2000, "after")]},
    )
    _, answer = run(logs, "fields @message | sort @timestamp asc", second // 1000, second // 1000 + 1)
    assert values(answer, "@message") == ["first", "last"]


def test_rows_are_capped_and_records_matched_is_the_true_count(fake: FakeCloudWatch, logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms + i, f"e{i}") for i in range(30)]})
    fake.plan.query_row_cap = 10
    _, answer = run(logs, "fields @message | sort @timestamp asc", base_ms // 1000, base_ms // 1000 + 1)
    assert values(answer, "@message") == [f"e{i}" for i in range(10)]
    assert answer["statistics"]["recordsMatched"] == 30.0
    assert answer["statistics"]["bytesScanned"] == sum(len(f"e{i}") + 26 for i in range(30))


def test_rows_page_with_max_items_and_next_token(logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms + i, f"e{i}") for i in range(5)]})
    query_id = logs.start_query(
        logGroupName=GROUP,
        startTime=base_ms // 1000,
        endTime=base_ms // 1000 + 1,
        queryString="fields @message | sort @timestamp asc",
    )["queryId"]
    while (first := logs.get_query_results(queryId=query_id, maxItems=2))["status"] != "Complete":
        time.sleep(0.01)
    second = logs.get_query_results(queryId=query_id, maxItems=2, nextToken=first["nextToken"])
    third = logs.get_query_results(queryId=query_id, maxItems=2, nextToken=second["nextToken"])
    assert [values(a, "@message") for a in (first, second, third)] == [["e0", "e1"], ["e2", "e3"], ["e4"]]
    assert "nextToken" not in third


def test_a_running_query_answers_partial_rows_and_every_row_returned_is_counted(
    fake: FakeCloudWatch, logs: Any, base_ms: int
) -> None:
    seed(logs, GROUP, {"s": [(base_ms + i, f"e{i}") for i in range(100)]})
    fake.plan.query_seconds = 0.6
    query_id = logs.start_query(
        logGroupName=GROUP, startTime=base_ms // 1000, endTime=base_ms // 1000 + 1, queryString="fields @message"
    )["queryId"]
    answers = []
    while (answer := logs.get_query_results(queryId=query_id))["status"] != "Complete":
        answers.append((answer["status"], len(answer["results"])))
        time.sleep(0.02)
    scheduled = [rows for status, rows in answers if status == "Scheduled"]
    running = [rows for status, rows in answers if status == "Running"]
    assert scheduled and set(scheduled) == {0} and running and all(1 <= rows < 100 for rows in running)
    assert running == sorted(running) and len(answer["results"]) == 100
    assert fake.insights.stats.rows_returned == sum(running) + 100
    one = logs.get_query_results(queryId=query_id, maxItems=1)
    assert len(one["results"]) == 1 and one["nextToken"] == "1"
    assert fake.insights.stats.rows_returned == sum(running) + 101


def test_filters_on_json_fields_times_and_regexes(logs: Any, base_ms: int) -> None:
    lines = [{"status": 200, "path": "/a"}, {"status": 503, "path": "/b"}, {"status": 500, "path": "/ab"}]
    seed(logs, GROUP, {"s": [(base_ms + i, json.dumps(line)) for i, line in enumerate(lines)]})
    query = f"fields path | filter status >= 500 and path like /b$/ or toMillis(@timestamp) = {base_ms} | sort @timestamp asc"
    _, answer = run(logs, query, base_ms // 1000, base_ms // 1000 + 1)
    assert values(answer, "path") == ["/a", "/b", "/ab"]
    _, counted = run(logs, "stats count(*) as n by status", base_ms // 1000, base_ms // 1000 + 1)
    assert sorted(values(counted, "n")) == ["1", "1", "1"]


def test_ptr_differs_on_every_query(logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms, "one")]})
    first = values(run(logs, "fields @message", base_ms // 1000, base_ms // 1000)[1], "@ptr")
    second = values(run(logs, "fields @message", base_ms // 1000, base_ms // 1000)[1], "@ptr")
    assert len(first) == len(second) == 1 and first != second


def test_concurrency_is_enforced_and_stop_query_frees_a_slot(fake: FakeCloudWatch, logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms, "one")]})
    logs.create_log_group(logGroupName="/cheap", logGroupClass="INFREQUENT_ACCESS")
    fake.plan.query_seconds = 60.0
    fake.plan.concurrent_query_limit = 3
    fake.plan.infrequent_access_query_limit = 1
    fake.plan.neighbour_queries = 1
    window = {"startTime": 1, "endTime": 2, "queryString": "fields @message"}
    cheap = logs.start_query(logGroupName="/cheap", **window)["queryId"]
    with pytest.raises(ClientError) as raised:  # one Infrequent Access query runs: no second one
        logs.start_query(logGroupName="/cheap", **window)
    assert error_of(raised) == (
        400,
        "LimitExceededException",
        "Account maximum query concurrency limit of [3] reached.",
    )
    logs.start_query(logGroupName=GROUP, **window)
    with pytest.raises(ClientError):  # two of ours and the neighbour's: the account's limit
        logs.start_query(logGroupName=GROUP, **window)
    assert logs.stop_query(queryId=cheap)["success"] is True
    assert logs.stop_query(queryId=cheap)["success"] is False  # no longer running
    logs.start_query(logGroupName=GROUP, **window)
    stats = fake.stats()["insights"]
    assert (stats["refused"], stats["stopped"], stats["running"], stats["started"]) == (2, 1, 2, 3)


def test_limit_exceeded_storm_and_malformed_queries(fake: FakeCloudWatch, logs: Any) -> None:
    seed(logs, GROUP, {"s": [(0, "x")]})
    fake.plan.limit_exceeded_calls = 2
    for _ in range(2):
        with pytest.raises(ClientError) as raised:
            logs.start_query(logGroupName=GROUP, startTime=1, endTime=2, queryString="fields @message")
        assert error_of(raised)[1] == "LimitExceededException"
    logs.start_query(logGroupName=GROUP, startTime=1, endTime=2, queryString="fields @message")
    with pytest.raises(ClientError) as raised:
        logs.start_query(logGroupName=GROUP, startTime=1, endTime=2, queryString="fields @message | dedupe x")
    assert error_of(raised)[1:] == (
        "MalformedQueryException",
        "unexpected symbol found dedupe at line 1 and position 1",
    )


def _at(fake: FakeCloudWatch, ms: int) -> None:
    """Events put from now on are ingested at `ms` (the fake's clock)."""
    fake.clock = lambda: datetime.fromtimestamp(ms / 1000, tz=UTC)


def test_ingestion_time_to_millis_arithmetic_and_stats_per_log_stream_across_groups(
    fake: FakeCloudWatch, logs: Any, base_ms: int
) -> None:
    """The sweep's query: late events (ingested after a cutoff, later than a lag) counted per log stream of each
    group named, with their first and last timestamps; `@log` is `<account-id>:<group-name>`."""
    _at(fake, base_ms)
    seed(logs, "/a", {"s1": [(base_ms - 1000, "on time")], "s2": [(base_ms - 500, "on time too")]})
    seed(logs, "/b", {"t": [(base_ms - 200, "on time b")]})
    _at(fake, base_ms + 3 * 3_600_000)
    seed(logs, "/a", {"s2": [(base_ms - 7000, "late 1"), (base_ms - 3000, "late 2")]})
    seed(logs, "/b", {"u": [(base_ms - 9000, "late b")]})
    query = (
        f"filter toMillis(@ingestionTime) >= {base_ms + 1} and toMillis(@ingestionTime) - toMillis(@timestamp) > 60000"
        " | stats count(*) as events, min(@timestamp) as first, max(@timestamp) as last by @log, @logStream"
    )
    query_id = logs.start_query(
        logGroupIdentifiers=["/a", "/b"],
        startTime=base_ms // 1000 - 60,
        endTime=base_ms // 1000,
        queryString=query,
    )["queryId"]
    while (answer := logs.get_query_results(queryId=query_id))["status"] != "Complete":
        time.sleep(0.01)
    rows = sorted(tuple(item["value"] for item in row) for row in answer["results"])
    assert rows == [
        ("123456789012:/a", "s2", "2", insights_time(base_ms - 7000), insights_time(base_ms - 3000)),
        ("123456789012:/b", "u", "1", insights_time(base_ms - 9000), insights_time(base_ms - 9000)),
    ]
    assert [item["field"] for item in answer["results"][0]] == ["@log", "@logStream", "events", "first", "last"]
    assert answer["statistics"]["recordsMatched"] == 3.0
    stored = ["on time", "on time too", "on time b", "late 1", "late 2", "late b"]
    assert answer["statistics"]["recordsScanned"] == 6.0
    assert answer["statistics"]["bytesScanned"] == sum(len(m) + 26 for m in stored)  # every event in range, both groups


def test_min_max_of_to_millis_are_numbers_and_unnamed_columns_are_the_expression(logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms, "a"), (base_ms + 5, "b")]})
    _, answer = run(logs, "stats min(toMillis(@timestamp)), count(*) by @logStream", base_ms // 1000, base_ms // 1000)
    assert [(item["field"], item["value"]) for item in answer["results"][0]] == [
        ("@logStream", "s"),
        ("min(toMillis(@timestamp))", str(base_ms)),
        ("count(*)", "2"),
    ]


def test_a_query_names_at_most_50_groups(logs: Any) -> None:
    with pytest.raises(ClientError) as raised:
        logs.start_query(
            logGroupIdentifiers=[f"/g{i}" for i in range(51)], startTime=0, endTime=1, queryString="fields @message"
        )
    assert error_of(raised)[1] == "InvalidParameterException"


def test_stats_refuses_what_it_does_not_know(logs: Any) -> None:
    with pytest.raises(ClientError) as raised:
        logs.start_query(logGroupName=GROUP, startTime=0, endTime=1, queryString="stats avg(x) by @logStream")
    assert error_of(raised)[1] == "MalformedQueryException"
