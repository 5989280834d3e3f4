"""The Logs Insights query text the connector sends, and what it makes of a report's query."""

from __future__ import annotations

import pytest

from source_cloudwatch_logs.aws.queries import (
    commands,
    query_problem,
    quoted,
    report_columns,
    report_shape,
    streams_query,
    window_query,
)
from source_cloudwatch_logs.records import CONNECTOR_COLUMNS
from testkit.insights_query import split_commands


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
        "concat(a, b) as ab, latency | filter status >= 500 and latency > 2.5"
    )
    assert report_columns(query, CONNECTOR_COLUMNS) == {
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
        'and @logStream = "a"\n| filter status >= 500\n| sort @timestamp asc'
    )
    assert streams_query(7, None) == "filter toMillis(@timestamp) = 7\n| stats count(*) as events by @logStream"


def test_quoted_escapes_quotes_and_backslashes() -> None:
    assert quoted('we"b\\1') == '"we\\"b\\\\1"'


# Issue 20: comments, `display`, and report fields named like the connector's columns.


def test_a_trailing_comment_cannot_remove_what_the_connector_appends() -> None:
    report = "fields @message | filter level = 'ERROR' # errors only"
    text = window_query(report, 5, 6)
    assert text == (
        "fields @timestamp, @logStream, @ingestionTime | filter toMillis(@timestamp) >= 5 and toMillis(@timestamp) < 6"
        "\n| fields @message | filter level = 'ERROR' # errors only\n| sort @timestamp asc"
    )
    # As Logs Insights reads it (the fake's engine, which follows the syntax pages): the sort is still there.
    assert split_commands(text)[-1] == "sort @timestamp asc"
    counting = streams_query(7, report)
    assert counting == (
        "filter toMillis(@timestamp) = 7\n| fields @message | filter level = 'ERROR' # errors only"
        "\n| stats count(*) as events by @logStream"
    )
    assert split_commands(counting)[-1] == "stats count(*) as events by @logStream"


def test_a_leading_comment_neither_hides_columns_nor_lets_stats_through() -> None:
    assert query_problem("# note\nstats count(*) by x") == (
        "uses `stats`, which aggregates events, so it cannot be read incrementally; replicate the events and "
        "aggregate in the destination, or run the aggregation as a scheduled query"
    )
    assert query_problem("# only a note") == (
        "is empty; write a Logs Insights query such as `fields @timestamp, @message | filter level = 'ERROR'`"
    )
    assert report_columns("# note\nfields a, b", CONNECTOR_COLUMNS) == {"a": "string", "b": "string"}
    assert report_columns("fields a # , b\n| filter a > 1 # | fields c", CONNECTOR_COLUMNS) == {"a": "number"}
    assert commands('fields a # x | stats\n| filter m like /#|y/ and n = "#|z"') == [
        "fields a",
        'filter m like /#|y/ and n = "#|z"',
    ]
    text = window_query("# note\nfields a", 5, 6)
    assert split_commands(text) == [
        "fields @timestamp, @logStream, @ingestionTime",
        "filter toMillis(@timestamp) >= 5 and toMillis(@timestamp) < 6",
        "fields a",
        "sort @timestamp asc",
    ]


def test_display_is_refused_with_fields_offered_instead() -> None:
    assert query_problem("fields @timestamp, level | display level") == (
        "uses `display`, which keeps only the fields it lists (and only the last `display` counts), so the "
        "@timestamp, @logStream and @ingestionTime every record needs would be missing; list the fields with "
        "`fields` instead"
    )


def test_an_alias_may_not_replace_a_field_the_connector_reads() -> None:
    assert query_problem("fields level as @logStream") == (
        "names a result `@logStream`, which is the event's own field that every record needs; choose another name"
    )


def test_report_fields_named_like_the_connectors_columns_get_names_of_their_own() -> None:
    query = (
        "fields @timestamp, @message, timestamp, level, eventId, message, query_message, event_time, "
        "strlen(accountId) as awsRegion, message_json, vpc_srcaddr, lambda_status, logGroupName | filter timestamp > 5"
    )
    assert report_columns(query, CONNECTOR_COLUMNS) == {
        "query_timestamp": "number",
        "level": "string",
        "query_eventId": "string",
        "query_query_message": "string",  # `message`: its first choice is a field of the report's own
        "query_message": "string",
        "query_event_time": "string",
        "query_awsRegion": "number",
        "query_message_json": "string",
        "query_vpc_srcaddr": "string",  # any VPC flow log column a custom format can add
        "query_lambda_status": "string",
        "query_logGroupName": "string",
    }
    shape = report_shape(query, CONNECTOR_COLUMNS)
    assert shape.column("timestamp") == "query_timestamp"
    assert shape.column("@timestamp") == "timestamp"
    assert shape.column("@message") == "message"
    assert shape.column("message") == "query_query_message"
    assert shape.column("status") == "status"  # a result field the query did not declare (e.g. from `parse`)
    assert shape.column("accountId") == "query_accountId"


def test_dedup_is_refused_with_a_reason() -> None:
    problem = query_problem("fields @timestamp, level # one per level\n| dedup level")
    assert problem is not None and problem.startswith("uses `dedup`, which keeps one event of each set of equal fields")
