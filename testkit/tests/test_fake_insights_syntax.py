"""The fake's Logs Insights follows the query syntax pages strictly: `#` comments, line breaks, `display`, the
default order, and an endpoint whose StartQuery `limit` stops at 10,000 (issue 20)."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from testkit.fake_logs import FakeCloudWatch
from testkit.insights_query import split_commands, without_comments
from testkit.tests.conftest import error_of, seed
from testkit.tests.test_fake_insights import GROUP, run, values


def test_a_comment_runs_to_the_end_of_its_line_outside_quotes_and_regexes() -> None:
    query = 'fields a # note | sort b\n| filter m like /x#y/ and n = "#1" # tail\n| sort @timestamp asc'
    assert without_comments(query) == 'fields a \n| filter m like /x#y/ and n = "#1" \n| sort @timestamp asc'
    assert split_commands(query) == ["fields a", 'filter m like /x#y/ and n = "#1"', "sort @timestamp asc"]


def test_what_follows_a_comment_on_its_line_is_ignored_and_the_next_line_is_not(logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms + i, f"e{i}") for i in range(3)]})
    second = base_ms // 1000
    # Without a sort, the newest come first; a sort commented out is no sort.
    _, answer = run(logs, "fields @message # | sort @timestamp asc", second, second)
    assert values(answer, "@message") == ["e2", "e1", "e0"]
    _, answer = run(logs, "fields @message # a note\n| sort @timestamp asc", second, second)
    assert values(answer, "@message") == ["e0", "e1", "e2"]
    _, answer = run(logs, "fields @message\n| sort @timestamp desc", second, second)
    assert values(answer, "@message") == ["e2", "e1", "e0"]


def test_only_the_last_display_counts_and_rows_hold_only_its_fields(logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms, '{"level": "INFO", "path": "/x"}')]})
    second = base_ms // 1000
    _, answer = run(logs, "fields @timestamp, level, path | display level | display path", second, second)
    assert [[item["field"] for item in row] for row in answer["results"]] == [["path", "@ptr"]]
    assert values(answer, "path") == ["/x"]


def test_a_stats_query_after_a_line_break_counts_per_log_stream(logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"a": [(base_ms, "x"), (base_ms, "y")], "b": [(base_ms, "z")]})
    second = base_ms // 1000
    query = f"filter toMillis(@timestamp) = {base_ms}\n| fields @message # a report\n| stats count(*) as events by @logStream"
    _, answer = run(logs, query, second, second)
    rows = sorted(tuple((item["field"], item["value"]) for item in row) for row in answer["results"])
    assert rows == [(("@logStream", "a"), ("events", "2")), (("@logStream", "b"), ("events", "1"))]


def test_an_endpoint_whose_limit_stops_at_10000_refuses_more(fake: FakeCloudWatch, logs: Any) -> None:
    fake.plan.max_query_limit = 10_000
    with pytest.raises(ClientError) as raised:
        logs.start_query(logGroupName=GROUP, startTime=1, endTime=2, queryString="fields a", limit=100_000)
    assert error_of(raised) == (
        400,
        "InvalidParameterException",
        "1 validation error detected: Value '100000' at 'limit' failed to satisfy constraint: Member must have value "
        "less than or equal to 10000",
    )
