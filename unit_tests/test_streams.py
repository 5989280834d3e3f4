"""Paging one window with FilterLogEvents. The API is a stub here because the page shapes under test
(empty pages with a token, events at endTime, rejected tokens) cannot be produced on demand by a server."""

from __future__ import annotations

from typing import Any

import pytest
from airbyte_cdk.models import FailureType, Level
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from botocore.exceptions import ClientError

from source_cloudwatch_logs.discovery import StreamDefinition
from source_cloudwatch_logs.pacing import ApiStats
from source_cloudwatch_logs.progress import SyncProgress
from source_cloudwatch_logs.streams import LagMonitor, LogEventsPartition, StreamContext
from unit_tests.conftest import StubLogsApi, group

START, END = 1_795_000_000_000, 1_795_000_060_000


def event(ts: int, n: int, lag: int = 10) -> dict[str, Any]:
    return {"eventId": str(n), "timestamp": ts, "message": f"m{n}", "logStreamName": "s", "ingestionTime": ts + lag}


def aws_error(code: str, message: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, "FilterLogEvents")


def partition(api: StubLogsApi, definition: StreamDefinition | None = None, delay_s: int = 300):  # type: ignore[no-untyped-def]
    definition = definition or StreamDefinition(name="g", group=group())
    repository = InMemoryMessageRepository()
    context = StreamContext(
        definition=definition,
        api=api,  # type: ignore[arg-type]
        lag=LagMonitor(definition.name, delay_s, repository),
        progress=SyncProgress(repository, ApiStats(), total_streams=1),
    )
    context.progress.stream_started(definition.name, "one window")
    list(repository.consume_queue())
    window = StreamSlice(partition={}, cursor_slice={"start_time": START, "end_time": END})
    return LogEventsPartition(context, window), repository


def test_pages_until_the_token_is_absent_across_empty_and_partial_pages() -> None:
    api = StubLogsApi(
        [
            {"events": [event(START, 1), event(START, 2)], "nextToken": "t1"},
            {"events": [], "nextToken": "t2"},  # empty page, not the end
            {"events": [event(START + 5, 3)], "nextToken": "t3"},
            {"events": [], "nextToken": "t4"},
            {"events": [event(END - 1, 4)]},
        ]
    )
    window, _ = partition(api)
    records = list(window.read())

    assert [r.data["eventId"] for r in records] == ["1", "2", "3", "4"]
    assert [c.get("nextToken") for c in api.calls] == [None, "t1", "t2", "t3", "t4"]
    assert api.calls[0] == {"logGroupName": "g", "startTime": START, "endTime": END, "limit": 10_000}
    assert all(r.associated_slice is window.to_slice() and r.stream_name == "g" for r in records)


def test_events_at_or_after_the_window_end_belong_to_the_next_window() -> None:
    window, _ = partition(StubLogsApi([{"events": [event(END - 1, 1), event(END, 2), event(END + 7, 3)]}]))
    assert [r.data["eventId"] for r in window.read()] == ["1"]


def test_records_gain_group_and_iso_time_and_keep_the_api_fields() -> None:
    window, _ = partition(StubLogsApi([{"events": [event(START + 42, 1)]}]))
    (record,) = window.read()
    assert dict(record.data) == {
        **event(START + 42, 1),
        "logGroupName": "g",
        "event_time": "2026-11-18T11:06:40.042Z",
    }


def test_custom_report_parameters_are_sent() -> None:
    definition = StreamDefinition(name="r", group=group("api"), log_stream_name_prefix="web-", filter_pattern='"ERROR"')
    api = StubLogsApi([{"events": []}])
    list(partition(api, definition)[0].read())
    assert api.calls == [
        {
            "logGroupName": "api",
            "logStreamNamePrefix": "web-",
            "filterPattern": '"ERROR"',
            "startTime": START,
            "endTime": END,
            "limit": 10_000,
        }
    ]


def test_a_rejected_next_token_restarts_the_window() -> None:
    api = StubLogsApi(
        [
            {"events": [event(START, 1)], "nextToken": "t1"},
            aws_error("InvalidParameterException", "The specified nextToken is invalid."),
            {"events": [event(START, 1)], "nextToken": "t2"},
            {"events": [event(START + 1, 2)]},
        ]
    )
    window, _ = partition(api)
    assert [r.data["eventId"] for r in window.read()] == ["1", "1", "2"]
    assert [c.get("nextToken") for c in api.calls] == [None, "t1", None, "t2"]


@pytest.mark.parametrize(
    ("error", "expected", "failure"),
    [
        (
            aws_error("ResourceNotFoundException", "The specified log group does not exist."),
            "Stream 'g': log group 'g' no longer exists",
            FailureType.config_error,
        ),
        (
            aws_error(
                "AccessDeniedException",
                "User: arn:aws:iam::1:user/u is not authorized to perform: logs:FilterLogEvents",
            ),
            "Stream 'g': Permission denied: the credentials are not allowed logs:FilterLogEvents",
            FailureType.config_error,
        ),
        (
            aws_error("InvalidParameterException", "1 validation error"),
            "Stream 'g': logs:FilterLogEvents failed with InvalidParameterException: 1 validation error",
            FailureType.system_error,
        ),
    ],
)
def test_api_errors_become_messages_naming_the_stream(error: ClientError, expected: str, failure: FailureType) -> None:
    window, _ = partition(StubLogsApi([error]))
    with pytest.raises(AirbyteTracedException) as raised:
        list(window.read())
    assert raised.value.message is not None and raised.value.message.startswith(expected)
    assert raised.value.failure_type == failure


def test_late_events_are_reported_once_per_new_maximum() -> None:
    api = StubLogsApi(
        [
            {"events": [event(START, 1, lag=400_000), event(START + 1, 2, lag=900_500)]},
            {"events": [event(START, 3, lag=500_000)]},
        ]
    )
    window, repository = partition(api)
    list(window.read())
    list(window.read())  # a smaller maximum later is not reported again
    warnings = [m.log.message for m in repository.consume_queue() if m.log.level == Level.WARN]  # type: ignore[union-attr]
    assert warnings == [
        "Stream 'g': events became visible up to 900 s after their timestamp, more than ingestion_delay_seconds "
        "(300 s). An earlier sync may have missed such events: raise ingestion_delay_seconds (or "
        "lookback_window_seconds) to at least 901."
    ]
