"""A stream per log group: time-window partitions whose events become records, on the CDK's concurrent path.

Reading a window is `log_events.py`'s; the window plan and the state are `cursor.py`'s; this module turns
events into records and ties the two together.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from airbyte_cdk.models import Level
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import CursorField
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record, StreamSlice

from source_cloudwatch_logs.cursor import WindowCursor, window_bounds
from source_cloudwatch_logs.discovery import StreamDefinition
from source_cloudwatch_logs.log_events import LogEvents
from source_cloudwatch_logs.plan import SyncPlan
from source_cloudwatch_logs.progress import SyncProgress, log
from source_cloudwatch_logs.records import CURSOR_FIELD, PRIMARY_KEY, RECORD_SCHEMA
from source_cloudwatch_logs.state import earliest_event_ms, iso_utc, read_start_ms, resume_ms, window_length_ms


class LagMonitor:
    """Watches `ingestionTime - timestamp`: events later than the ingestion delay may have been missed."""

    def __init__(self, stream: str, delay_seconds: int, repository: MessageRepository) -> None:
        self._stream = stream
        self._delay_ms = delay_seconds * 1000
        self._repository = repository
        self._reported_ms = self._delay_ms
        self._lock = threading.Lock()

    def window_done(self, max_lag_ms: int) -> None:
        with self._lock:
            if max_lag_ms <= self._reported_ms:
                return
            self._reported_ms = max_lag_ms
        log(
            self._repository,
            Level.WARN,
            f"Stream '{self._stream}': events became visible up to {max_lag_ms / 1000:.0f} s after their "
            f"timestamp, more than ingestion_delay_seconds ({self._delay_ms // 1000} s). An earlier sync may "
            f"have missed such events: raise ingestion_delay_seconds (or lookback_window_seconds) to at "
            f"least {-(-max_lag_ms // 1000)}.",
        )


@dataclass
class StreamContext:
    """What every partition of one stream shares."""

    definition: StreamDefinition
    events: LogEvents
    lag: LagMonitor
    progress: SyncProgress


class LogEventsPartition(Partition):
    """One half-open time window `[start, end)` of one stream: its events as records."""

    def __init__(self, context: StreamContext, stream_slice: StreamSlice) -> None:
        self._context = context
        self._slice = stream_slice
        self._start, self._end = window_bounds(stream_slice)
        self._hash = hash((context.definition.name, self._start, self._end))

    def stream_name(self) -> str:
        return self._context.definition.name

    def to_slice(self) -> StreamSlice:
        return self._slice

    def __hash__(self) -> int:
        return self._hash

    def read(self) -> Iterable[Record]:
        definition, progress = self._context.definition, self._context.progress
        name, group, stream_slice = definition.name, definition.group.name, self._slice
        max_lag = 0
        last_second, last_second_text = -1, ""
        pages = self._context.events.window(
            definition.query, self._start, self._end, stream=name, field=definition.field
        )
        for events in pages:
            progress.page_done(name, len(events))
            # Hand events over one by one, dropping each from the page as it goes: the page does not keep
            # 10,000 already-written events alive while this worker waits for room in the queue.
            events.reverse()
            while events:
                event = events.pop()
                timestamp = event["timestamp"]
                lag = event.get("ingestionTime", timestamp) - timestamp
                if lag > max_lag:
                    max_lag = lag
                second, millis = divmod(timestamp, 1000)
                if second != last_second:  # many events share a second: format it once
                    last_second, last_second_text = second, iso_utc(second * 1000)[:-4]
                event["event_time"] = f"{last_second_text}{millis:03d}Z"
                event["logGroupName"] = group
                yield Record(data=event, stream_name=name, associated_slice=stream_slice)
        self._context.lag.window_done(max_lag)
        progress.window_done(name)


class WindowPartitionGenerator(PartitionGenerator):
    def __init__(self, *, context: StreamContext, cursor: WindowCursor) -> None:
        self._context = context
        self._cursor = cursor

    def generate(self) -> Iterable[Partition]:
        name, progress = self._context.definition.name, self._context.progress
        window_ms, end_ms = self._cursor.window_ms, self._cursor.end_ms
        progress.stream_started(name, f"time windows of {window_ms / 60_000:.0f} min up to {iso_utc(end_ms)}")
        count = 0
        for stream_slice in self._cursor.stream_slices():
            count += 1
            yield LogEventsPartition(self._context, stream_slice)
        progress.windows_planned(name, count)


def build_stream(*, definition: StreamDefinition, position_ms: int | None, plan: SyncPlan) -> DefaultStream:
    """A concurrent stream whose cursor cuts `[resume, plan.end_ms)` into windows and checkpoints each.

    `position_ms` is the stream's usable state position (None: no state, or a full refresh).
    """
    config, group = plan.config, definition.group
    earliest = earliest_event_ms(group.creation_ms, group.retention_days, plan.now_ms)
    start = read_start_ms(config.start_date_ms, earliest)
    resume = resume_ms(start, position_ms, config.lookback_window_seconds * 1000)
    if position_ms is not None and position_ms >= plan.end_ms:
        resume = position_ms  # a state at or after this sync's end: nothing is new yet, nothing is re-read
    window_ms = window_length_ms(plan.end_ms - resume, group.stored_bytes, max(1, plan.now_ms - earliest))
    cursor = WindowCursor(
        stream_name=definition.name,
        position_ms=max(start, position_ms if position_ms is not None else start),
        resume_ms=resume,
        end_ms=plan.end_ms,
        window_ms=window_ms,
        state_manager=plan.state_manager,
        repository=plan.repository,
    )
    context = StreamContext(
        definition=definition,
        events=plan.events,
        lag=LagMonitor(definition.name, config.ingestion_delay_seconds, plan.repository),
        progress=plan.progress,
    )
    return DefaultStream(
        partition_generator=WindowPartitionGenerator(context=context, cursor=cursor),
        name=definition.name,
        json_schema=RECORD_SCHEMA,
        primary_key=[PRIMARY_KEY],
        cursor_field=CursorField(CURSOR_FIELD),
        logger=plan.logger,
        cursor=cursor,
    )
