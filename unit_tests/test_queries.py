"""The Logs Insights query text the connector sends, and what it makes of a report's query."""

from __future__ import annotations

import pytest

from source_cloudwatch_logs.queries import (
    commands,
    query_problem,
    quoted,
    report_columns,
    streams_query,
    window_query,
)


def test_commands_split_on_pipes_outside_quotes_and_regexes() -> None:
    query = 'fields @message | filter @message like /a|b/ | filter path = "x|y" | sort @timestamp desc'
    assert commands(query) == [
        "fields @message",
        "filter @message like /a|b/",
        'filter path = "x|y"',
        "sort @timestamp desc",
    ]


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("fields @timestamp | filter status >= 500", None),
        ("filter @message like /stats/", None),  # the word inside a regex is not a command
        (
            "fields status | stats count(*) by status",
            "uses `stats`, which aggregates events, so it cannot be read incrementally; replicate the events and "
            "aggregate in the destination, or run the aggregation as a scheduled query",
        ),
        (
            "fields @timestamp | LIMIT 10",
            "uses `limit`, which keeps only some events, so an incremental sync would miss the rest; remove it",
        ),
        (" | ", "is empty; write a Logs Insights query such as `fields @timestamp, @message | filter level = 'ERROR'`"),
    ],
)
def test_a_report_query_may_not_aggregate_or_cut(query: str, problem: str | None) -> None:
    assert query_problem(query) == problem


def test_report_columns_are_typed_where_the_query_makes_the_type_clear() -> None:
    query = (
        "fields @timestamp, @message, status, path, strlen(path) as path_length, toMillis(@ingestionTime) as seen, "
        "concat(a, b) as ab | filter status >= 500 and latency > 2.5 | display latency"
    )
    assert report_columns(query) == {
        "status": "number",  # compared with a number
        "path": "string",
        "path_length": "number",  # a numeric function
        "seen": "number",
        "ab": "string",
        "latency": "number",
    }


def test_a_window_query_reads_whole_milliseconds_in_time_order() -> None:
    assert window_query(None, 1_000_500, 2_000_000) == (
        "fields @timestamp, @logStream, @ingestionTime, @message | filter toMillis(@timestamp) >= 1000500 and "
        "toMillis(@timestamp) < 2000000 | sort @timestamp asc"
    )
    assert window_query(" filter status >= 500 ", 5, 6, narrow='@logStream = "a"') == (
        "fields @timestamp, @logStream, @ingestionTime | filter toMillis(@timestamp) >= 5 and toMillis(@timestamp) < 6 "
        'and @logStream = "a" | filter status >= 500 | sort @timestamp asc'
    )
    assert streams_query(7, None) == "filter toMillis(@timestamp) = 7 | stats count(*) as events by @logStream"


def test_quoted_escapes_quotes_and_backslashes() -> None:
    assert quoted('we"b\\1') == '"we\\"b\\\\1"'
