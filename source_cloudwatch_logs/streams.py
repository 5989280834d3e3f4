"""A stream per log group: time-window partitions whose events become records, on the CDK's concurrent path.

Reading a window is its `windows.WindowSource`'s; the range is `ranges.py`'s, the windows' state `cursor.py`'s;
how records leave is the `output.RecordOutput`'s. This module turns events into records and ties them together.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airbyte_cdk.models import Level
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor, CursorField
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record, StreamSlice

from source_cloudwatch_logs.aws.pacing import InFlight
from source_cloudwatch_logs.aws.windows import WindowSource
from source_cloudwatch_logs.cursor import StateEmitter, WindowCursor, WindowFindings, window_bounds
from source_cloudwatch_logs.discovery import MergedDefinition, StreamDefinition
from source_cloudwatch_logs.failures import reported
from source_cloudwatch_logs.formats import MessageParser
from source_cloudwatch_logs.group_warnings import GroupWarnings
from source_cloudwatch_logs.lookback import beyond_cap
from source_cloudwatch_logs.output import RecordOutput
from source_cloudwatch_logs.plan import SyncPlan
from source_cloudwatch_logs.progress import SyncProgress, log
from source_cloudwatch_logs.ranges import (
    MAX_BACKDATE_MS,
    GroupExtent,
    Lookback,
    earliest_event_ms,
    read_range,
    read_start_ms,
)
from source_cloudwatch_logs.records import CURSOR_FIELD, PRIMARY_KEY
from source_cloudwatch_logs.state import StreamPosition, iso_utc

if TYPE_CHECKING:
    from source_cloudwatch_logs.sweep import StreamSweep


QUIET_CAP_MS = 2**62  # a lag no event has


class LateEvents:
    """Counts the events a stream's sync finds late, and warns once per new record lag beyond what the lookback
    can ever cover (`max_lookback_seconds` plus the ingestion delay); a merged stream's group tells its
    `group_warnings` instead, which say it once for all its groups (group_warnings.py)."""

    def __init__(
        self,
        *,
        stream: str,
        previous: StreamPosition | None,
        delay_ms: int,
        cap_ms: int,
        repository: MessageRepository,
        group_warnings: GroupWarnings | None = None,
        group: str = "",
    ) -> None:
        self._stream = stream
        # Below the previous watermark and ingested after the previous sync read it: not there when it was read.
        self.before_ms = previous.watermark_ms if previous is not None else -1
        self.ingested_after_ms = self.before_ms + delay_ms
        self._delay_ms = delay_ms
        self._cap_ms = cap_ms
        self._repository = repository
        self._group_warnings = group_warnings
        self._group = group
        self._lock = threading.Lock()
        self._reported_ms = cap_ms + delay_ms

    def quiet(self) -> LateEvents:
        """The same stream's, counting no late event and never warning (the late-event sweep's re-reads)."""
        return LateEvents(
            stream=self._stream, previous=None, delay_ms=0, cap_ms=QUIET_CAP_MS, repository=self._repository
        )

    def window_done(self, max_lag_ms: int) -> None:
        with self._lock:
            if (
                not beyond_cap(max_lag_ms, delay_ms=self._delay_ms, cap_ms=self._cap_ms)
                or max_lag_ms <= self._reported_ms
            ):
                return
            self._reported_ms = max_lag_ms
        if self._group_warnings is not None:
            self._group_warnings.add(LATE_WARNING, self._group, max_lag_ms, self._in_groups)
            return
        log(self._repository, Level.WARN, self._warning("an event became visible", "its timestamp", max_lag_ms))

    def _in_groups(self, groups: str, max_lag_ms: int) -> str:
        return self._warning("events became visible up to", f"their timestamp in {groups}", max_lag_ms)

    def _warning(self, became: str, after: str, max_lag_ms: int) -> str:
        needed_s = -(-(max_lag_ms - self._delay_ms) // 1000)
        return (
            f"Stream '{self._stream}': {became} {max_lag_ms / 1000:.0f} s after {after}, later than "
            f"max_lookback_seconds ({self._cap_ms // 1000}) plus ingestion_delay_seconds ({self._delay_ms // 1000}) "
            "cover. Events this late are read only when the log group is quiet around their timestamp: raise "
            f"max_lookback_seconds to at least {needed_s} (at most {MAX_BACKDATE_MS // 1000}) to read them all, at "
            "the cost of re-reading that span every sync."
        )


LATE_WARNING = "late events"  # the kind of a merged stream's summary of its groups' late events


@dataclass
class StreamContext:
    """What every partition of one stream shares."""

    definition: StreamDefinition
    source: WindowSource  # reads `[start, end)` as pages of events (windows.py)
    late: LateEvents
    progress: SyncProgress
    output: RecordOutput  # how a page of records leaves (output.py)
    lookback_ms: int  # how far behind the watermark this sync re-reads (0 without state)
    in_flight: InFlight | None  # FilterLogEvents pages in the works at once (pacing.py); None: not paced by it
    region: str = ""  # the region every record names
    parser: MessageParser | None = None  # columns parsed from the message (formats.py); None: raw
    sweep: StreamSweep | None = None  # the stream's late-event sweep in this sync (sweep.py); None: off


class LogEventsPartition(Partition):
    """One half-open time window `[start, end)` of one stream: its events as records."""

    def __init__(self, context: StreamContext, stream_slice: StreamSlice) -> None:
        self._context = context
        self._slice = stream_slice
        self._start, self._end = window_bounds(stream_slice)
        self._hash = hash((context.definition.name, self._start, self._end))
        self._findings = WindowFindings()
        self._max_lag, self._newest, self._late_events, self._unparsed = 0, -1, 0, 0

    @property
    def findings(self) -> WindowFindings:
        return self._findings

    def stream_name(self) -> str:
        return self._context.definition.name

    def to_slice(self) -> StreamSlice:
        return self._slice

    def __hash__(self) -> int:
        return self._hash

    @reported
    def read(self) -> Iterable[Record]:
        definition, progress, late = self._context.definition, self._context.progress, self._context.late
        name, stream_slice, output = definition.name, self._slice, self._context.output
        self._max_lag, self._newest, self._late_events, self._unparsed = 0, -1, 0, 0
        pages = iter(self._context.source.read(self._start, self._end))
        in_flight = self._context.in_flight
        while True:
            slot: AbstractContextManager[Any] = in_flight.slot() if in_flight is not None else nullcontext()
            with slot:  # the request, its parse and what the output does with the page at once
                events = next(pages, None)
                if events is None:
                    break
                progress.page_done(name, len(events))
                records = output.page(stream=name, stream_slice=stream_slice, events=events, records_of=self._records)
                del events  # only the output keeps the page, as long as it needs it
            yield from records
        newest, max_lag = self._newest, self._max_lag
        self._findings = WindowFindings(newest_ms=newest if newest >= 0 else None, max_lag_ms=max_lag)
        late.window_done(max_lag)
        self._counted()
        progress.window_done(name, late_events=self._late_events, max_lag_ms=max_lag, unparsed=self._unparsed)

    def _counted(self) -> None:
        """What a kind of window counts once it has read everything, before it is reported done (the stream's
        finished line may follow at once, and says what was counted)."""

    def _records(self, events: list[dict[str, Any]], popping: bool = False) -> Iterator[dict[str, Any]]:
        """The page's events as records (the API's fields, `event_time` and `logGroupName`), in order (popped
        from the end of a reversed page when `popping`), noting the window's newest event, lag and late events."""
        group = self._context.definition.group.name
        account, region = self._context.definition.group.account_id, self._context.region
        late_before, late_after = self._context.late.before_ms, self._context.late.ingested_after_ms
        max_lag, newest, late_events, unparsed = self._max_lag, self._newest, self._late_events, self._unparsed
        parse_into = self._context.parser.parse_into if self._context.parser is not None else None
        last_second, last_second_text = -1, ""
        for event in _popped(events) if popping else events:
            timestamp = event["timestamp"]
            ingested = event.get("ingestionTime", timestamp)
            if ingested - timestamp > max_lag:
                max_lag = ingested - timestamp
            if timestamp > newest:
                newest = timestamp
            if timestamp < late_before and ingested > late_after:
                late_events += 1
            second, millis = divmod(timestamp, 1000)
            if second != last_second:  # many events share a second: format it once
                last_second, last_second_text = second, iso_utc(second * 1000)[:-4]
            event["event_time"] = f"{last_second_text}{millis:03d}Z"
            event["logGroupName"] = group
            event["accountId"] = account
            event["awsRegion"] = region
            if parse_into is not None and not parse_into(event):
                unparsed += 1
            yield event
        self._max_lag, self._newest, self._late_events, self._unparsed = max_lag, newest, late_events, unparsed


def _popped(events: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    while events:
        yield events.pop()


class WindowPartitionGenerator(PartitionGenerator):
    def __init__(self, *, context: StreamContext, cursor: WindowCursor) -> None:
        self._context = context
        self._cursor = cursor

    def generate(self) -> Iterable[Partition]:
        name, progress = self._context.definition.name, self._context.progress
        window_ms, end_ms = self._cursor.time_range.window_ms, self._cursor.time_range.end_ms
        progress.stream_started(
            name,
            f"time windows of {window_ms / 60_000:.0f} min up to {iso_utc(end_ms)}",
            lookback_ms=self._context.lookback_ms,
            parsed_as=self._context.definition.parsing.message_format if self._context.parser else "",
        )
        count = 0
        for partition in self._context.sweep.partitions(self._context) if self._context.sweep is not None else ():
            count += 1
            yield partition
        for stream_slice in self._cursor.stream_slices():
            count += 1
            yield LogEventsPartition(self._context, stream_slice)
        progress.windows_planned(name, count)


def build_stream(*, definition: StreamDefinition, position: StreamPosition | None, plan: SyncPlan) -> DefaultStream:
    """A concurrent stream whose cursor cuts `[resume, plan.end_ms)` into windows and checkpoints each."""
    cursor, context = window_reader(definition=definition, position=position, plan=plan)
    generator = WindowPartitionGenerator(context=context, cursor=cursor)
    return concurrent_stream(definition=definition, generator=generator, cursor=cursor, plan=plan)


def concurrent_stream(
    *, definition: StreamDefinition | MergedDefinition, generator: PartitionGenerator, cursor: Cursor, plan: SyncPlan
) -> DefaultStream:
    """The CDK stream of a definition: its schema, the shared primary key and cursor field."""
    return DefaultStream(
        partition_generator=generator,
        name=definition.name,
        json_schema=definition.schema,
        primary_key=[PRIMARY_KEY],
        cursor_field=CursorField(CURSOR_FIELD),
        logger=plan.logger,
        cursor=cursor,
    )


def window_reader(
    *,
    definition: StreamDefinition,
    position: StreamPosition | None,
    plan: SyncPlan,
    slice_partition: Mapping[str, Any] | None = None,
    emit: Callable[[Mapping[str, Any]], None] | None = None,
    group_warnings: GroupWarnings | None = None,
) -> tuple[WindowCursor, StreamContext]:
    """The cursor and the partitions' shared context of one log group's reading (a stream, or a merged stream's
    member: its windows tagged with `slice_partition`, its state reported to `emit` instead of emitted, its
    warnings told to `group_warnings`).

    `position` is the group's usable state (None: no state); its range is ranges.read_range's.
    """
    config, group = plan.config, definition.group
    lookback = Lookback(
        delay_ms=config.ingestion_delay_seconds * 1000,
        floor_ms=config.lookback_window_seconds * 1000,
        cap_ms=max(config.lookback_window_seconds, config.max_lookback_seconds) * 1000,
    )
    time_range = read_range(
        position=position,
        start_date_ms=config.start_date_ms,
        extent=GroupExtent(
            earliest_ms=earliest_event_ms(group.creation_ms, group.retention_days, plan.now_ms),
            stored_bytes=group.stored_bytes,
        ),
        now_ms=plan.now_ms,
        end_ms=plan.end_ms,
        lookback=lookback,
        parallel=plan.workers // max(1, len(plan.streams)),  # a fair share of the threads
    )
    if emit is None:
        emit = StateEmitter(
            stream_name=definition.name, state_manager=plan.state_manager, repository=plan.repository
        ).emit
    sweep = None
    if plan.sweep is not None and slice_partition is None:  # a merged stream's members are not swept
        earliest = read_start_ms(
            config.start_date_ms, earliest_event_ms(group.creation_ms, group.retention_days, plan.now_ms)
        )
        sweep = plan.sweep.register(
            definition=definition, position=position, resume_ms=time_range.resume_ms, floor_ms=earliest
        )
        if sweep is not None:
            plan.progress.add_note(definition.name, sweep.describe)
    cursor = WindowCursor(time_range=time_range, emit=emit, slice_partition=slice_partition, sweep=sweep)
    source = definition.source(plan.readers)
    context = StreamContext(
        definition=definition,
        source=source,
        late=LateEvents(
            stream=definition.name,
            previous=position,
            delay_ms=lookback.delay_ms,
            cap_ms=lookback.cap_ms,
            repository=plan.repository,
            group_warnings=group_warnings,
            group=definition.state_key,
        ),
        progress=plan.progress,
        output=plan.output,
        lookback_ms=time_range.lookback_ms,
        in_flight=plan.in_flight if source.paced else None,
        region=config.region_name,
        parser=definition.parsing.parser(fragments=plan.output.message_fragments),
        sweep=sweep,
    )
    return cursor, context
