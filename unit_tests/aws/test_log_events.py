"""Paging one window with FilterLogEvents. The API is a stub here because the page shapes under test
(empty pages with a token, events at endTime, rejected tokens) cannot be produced on demand by a server."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from source_cloudwatch_logs.aws.errors import AwsError, Fault
from source_cloudwatch_logs.aws.log_events import MAX_WINDOW_RESTARTS, PAGE_LIMIT, EventQuery, LogEvents
from unit_tests.conftest import END, START, StubClient, aws_error, event, stub_logs


def read(pages: list[Any], query: EventQuery | None = None) -> tuple[list[str], StubClient]:
    logs, client = stub_logs(pages)
    window = LogEvents(logs=logs).window(query or EventQuery(log_group="g"), START, END, stream="s1")
    return [e["eventId"] for page in window for e in page], client


def test_pages_until_the_token_is_absent_across_empty_and_partial_pages() -> None:
    ids, client = read(
        [
            {"events": [event(START, 1), event(START, 2)], "nextToken": "t1"},
            {"events": [], "nextToken": "t2"},  # empty page, not the end
            {"events": [event(START + 5, 3)], "nextToken": "t3"},
            {"events": [], "nextToken": "t4"},
            {"events": [event(END - 1, 4)]},
        ]
    )
    assert ids == ["1", "2", "3", "4"]
    assert [c.get("nextToken") for c in client.calls] == [None, "t1", "t2", "t3", "t4"]
    assert client.calls[0] == {"logGroupName": "g", "startTime": START, "endTime": END, "limit": PAGE_LIMIT}
    assert PAGE_LIMIT == 10_000


def test_events_at_or_after_the_window_end_belong_to_the_next_window() -> None:
    ids, _ = read([{"events": [event(END - 1, 1), event(END, 2), event(END + 7, 3), event(END - 2, 4)]}])
    assert ids == ["1", "4"]


def test_custom_report_parameters_are_sent() -> None:
    query = EventQuery(log_group="api", log_stream_name_prefix="web-", filter_pattern='"ERROR"')
    _, client = read([{"events": []}], query)
    assert client.calls == [
        {
            "logGroupName": "api",
            "logStreamNamePrefix": "web-",
            "filterPattern": '"ERROR"',
            "startTime": START,
            "endTime": END,
            "limit": 10_000,
        }
    ]
    named = EventQuery(log_group="api", log_stream_names=("a", "b"))
    assert named.params() == {"logGroupName": "api", "logStreamNames": ["a", "b"]}


def test_a_rejected_next_token_restarts_the_window() -> None:
    ids, client = read(
        [
            {"events": [event(START, 1)], "nextToken": "t1"},
            aws_error("InvalidParameterException", "The specified nextToken is invalid."),
            {"events": [event(START, 1)], "nextToken": "t2"},
            {"events": [event(START + 1, 2)]},
        ]
    )
    assert ids == ["1", "1", "2"]
    assert [c.get("nextToken") for c in client.calls] == [None, "t1", None, "t2"]


def test_restarts_are_bounded() -> None:
    rejected = aws_error("InvalidParameterException", "The specified nextToken is invalid.")
    pages: list[Any] = []
    for _ in range(MAX_WINDOW_RESTARTS + 1):
        pages += [{"events": [event(START, 1)], "nextToken": "t"}, rejected]
    with pytest.raises(AwsError) as raised:
        read(pages)
    assert raised.value.message == (
        "Stream 's1': logs:FilterLogEvents failed with InvalidParameterException: The specified nextToken is invalid."
    )


@pytest.mark.parametrize(
    ("error", "expected", "failure"),
    [
        (
            aws_error("ResourceNotFoundException", "The specified log group does not exist."),
            "Stream 's1': log group 'g' no longer exists (deleted after discovery?). Refresh the source schema.",
            Fault.CONFIG,
        ),
        (
            aws_error(
                "AccessDeniedException",
                "User: arn:aws:iam::1:user/u is not authorized to perform: logs:FilterLogEvents",
            ),
            "Stream 's1': Permission denied: the credentials are not allowed logs:FilterLogEvents (User: "
            "arn:aws:iam::1:user/u is not authorized to perform: logs:FilterLogEvents). Grant logs:FilterLogEvents.",
            Fault.CONFIG,
        ),
        (
            aws_error("InvalidParameterException", "1 validation error"),
            "Stream 's1': logs:FilterLogEvents failed with InvalidParameterException: 1 validation error",
            Fault.TRANSIENT,
        ),
    ],
)
def test_api_errors_become_messages_naming_the_stream(error: ClientError, expected: str, failure: Fault) -> None:
    with pytest.raises(AwsError) as raised:
        read([error])
    assert raised.value.message == expected
    assert raised.value.fault == failure


def test_only_what_was_asked_for_is_kept_whatever_the_endpoint_returns() -> None:
    """Issue 20 principle 1: events before the window, or of log streams the query does not select (moto and
    LocalStack ignore logStreamNamePrefix), are not this window's records."""
    events = [event(START - 1, 1), event(START, 2), event(START + 1, 3)]
    events[1]["logStreamName"], events[2]["logStreamName"] = "web-1", "batch-1"
    ids, _ = read([{"events": [dict(e) for e in events]}], EventQuery(log_group="g", log_stream_name_prefix="web-"))
    assert ids == ["2"]
    ids, _ = read([{"events": [dict(e) for e in events]}], EventQuery(log_group="g", log_stream_names=("batch-1",)))
    assert ids == ["3"]
    ids, _ = read([{"events": [dict(e) for e in events]}])
    assert ids == ["2", "3"]


@pytest.mark.parametrize("missing", ["eventId", "timestamp", "message", "logStreamName"])
def test_an_event_without_a_field_a_record_needs_is_an_error_naming_the_stream(missing: str) -> None:
    broken = event(START, 1)
    del broken[missing]
    with pytest.raises(AwsError) as raised:
        read([{"events": [event(START, 0), broken]}])
    assert raised.value.message == (
        "Stream 's1': FilterLogEvents answered for log group 'g' with an event that lacks one of eventId, "
        "logStreamName, message, timestamp, which every CloudWatch event has. The endpoint does not answer as "
        "CloudWatch Logs does: check endpoint_url."
    )
    assert raised.value.fault == Fault.SYSTEM
