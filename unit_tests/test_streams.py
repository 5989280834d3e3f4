"""A window's events become records: the fields added, the window they belong to, late events reported.
The API is a stub here (see conftest.StubClient)."""

from __future__ import annotations

from typing import Any

from airbyte_cdk.models import Level
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.types import StreamSlice

from source_cloudwatch_logs.discovery import StreamDefinition
from source_cloudwatch_logs.log_events import LogEvents
from source_cloudwatch_logs.pacing import ApiStats
from source_cloudwatch_logs.progress import SyncProgress
from source_cloudwatch_logs.streams import LagMonitor, LogEventsPartition, StreamContext
from unit_tests.conftest import END, START, event, group, stub_logs


def partition(pages: list[Any], definition: StreamDefinition | None = None, delay_s: int = 300):  # type: ignore[no-untyped-def]
    definition = definition or StreamDefinition.of_group(group())
    repository = InMemoryMessageRepository()
    context = StreamContext(
        definition=definition,
        events=LogEvents(logs=stub_logs(pages)[0]),
        lag=LagMonitor(definition.name, delay_s, repository),
        progress=SyncProgress(repository, ApiStats(), total_streams=1),
    )
    context.progress.stream_started(definition.name, "one window")
    list(repository.consume_queue())
    window = StreamSlice(partition={}, cursor_slice={"start_time": START, "end_time": END})
    return LogEventsPartition(context, window), repository


def test_records_gain_group_and_iso_time_and_keep_the_api_fields() -> None:
    window, _ = partition([{"events": [event(START + 42, 1)]}])
    (record,) = window.read()
    assert dict(record.data) == {
        **event(START + 42, 1),
        "logGroupName": "g",
        "event_time": "2026-11-18T11:06:40.042Z",
    }
    assert record.associated_slice is window.to_slice() and record.stream_name == "g"


def test_late_events_are_reported_once_per_new_maximum() -> None:
    window, repository = partition(
        [
            {"events": [event(START, 1, lag=400_000), event(START + 1, 2, lag=900_500)]},
            {"events": [event(START, 3, lag=500_000)]},
        ]
    )
    list(window.read())
    list(window.read())  # a smaller maximum later is not reported again
    warnings = [m.log.message for m in repository.consume_queue() if m.log.level == Level.WARN]  # type: ignore[union-attr]
    assert warnings == [
        "Stream 'g': events became visible up to 900 s after their timestamp, more than ingestion_delay_seconds "
        "(300 s). An earlier sync may have missed such events: raise ingestion_delay_seconds (or "
        "lookback_window_seconds) to at least 901."
    ]
