"""A stream's cursor: hands out its range's half-open time windows (ranges.py) and owns its state.

The state's watermark is the end of the first contiguous run of finished windows (counted from the stream's
watermark when the sync began), emitted after each finished window, whatever order windows finish in. With it go
the newest event and the largest ingestion lag of the windows in that run (state.py, lookback.py): a window's
findings count only once every window before it has finished too. Windows are handed to
workers in time order and each is checkpointed by the worker that read it, right after its records: a STATE
message always follows the records it covers.

This implements the CDK's concurrent `Cursor` interface directly: the state contract is this module's, written
down here and property-tested in unit_tests/test_cursor.py, and no CDK converter or private hook is involved.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record, StreamSlice

from source_cloudwatch_logs.lookback import learned_lag_ms
from source_cloudwatch_logs.ranges import ReadRange
from source_cloudwatch_logs.state import StreamPosition

START_KEY, END_KEY = "start_time", "end_time"


@dataclass(frozen=True)
class WindowFindings:
    """What reading one window found: its newest event's timestamp (None: no event) and largest ingestion lag."""

    newest_ms: int | None = None
    max_lag_ms: int = 0


@runtime_checkable
class ReportsFindings(Protocol):
    """A partition that says what it found once read."""

    @property
    def findings(self) -> WindowFindings: ...


def window_bounds(stream_slice: Mapping[str, Any] | None) -> tuple[int, int]:
    if stream_slice is None:
        raise ValueError("a time window without bounds")
    return int(stream_slice[START_KEY]), int(stream_slice[END_KEY])


class StateEmitter:
    """Puts a stream's state in the CDK's state manager and emits it as a STATE message."""

    def __init__(
        self, *, stream_name: str, state_manager: ConnectorStateManager, repository: MessageRepository
    ) -> None:
        self._stream_name = stream_name
        self._state_manager = state_manager
        self._repository = repository

    def emit(self, state: Mapping[str, Any]) -> None:
        self._state_manager.update_state_for_stream(self._stream_name, None, state)
        self._repository.emit_message(self._state_manager.create_state_message(self._stream_name, None))


@runtime_checkable
class SweepMarks(Protocol):
    """A stream's late-event sweep in this sync (sweep.py): its partitions are not windows of the range, and the
    state says the stream was swept only once every one of them is read."""

    def owns(self, partition: Partition) -> bool: ...

    def partition_done(self, partition: Partition) -> None: ...

    def marked(self, position: StreamPosition) -> StreamPosition: ...


class WindowCursor(Cursor):
    """The windows of `time_range` (ranges.ReadRange), its state starting at the range's position, emitted with
    `emit` after every finished window (once at least).

    `slice_partition` tags this cursor's windows (a merged stream's log group, whose cursor's `emit` reports the
    change to the merged stream's cursor, which emits the stream's state).
    """

    def __init__(
        self,
        *,
        time_range: ReadRange,
        emit: Callable[[Mapping[str, Any]], None],
        slice_partition: Mapping[str, Any] | None = None,
        sweep: SweepMarks | None = None,
    ) -> None:
        self._range = time_range
        self._sweep = sweep
        self._emit_state = emit
        self._slice_partition = dict(slice_partition or {})
        self._start = time_range.position
        self._watermark = self._start.watermark_ms
        self._newest = self._start.newest_ms
        self._max_lag = 0
        self._resume = time_range.resume_ms
        self._finished: dict[int, tuple[int, WindowFindings]] = {}  # start -> windows past the contiguous run
        self._emitted = False
        self._lock = threading.Lock()

    @property
    def time_range(self) -> ReadRange:
        return self._range

    @property
    def position(self) -> StreamPosition:
        progress = self._watermark - self._start.watermark_ms
        # No event seen yet: everything from where this sync began reading (or an earlier empty stretch) up to the
        # watermark was empty when read, so the next sync re-reads it for late arrivals (state.resume_ms).
        empty_from = None
        if self._newest is None:
            empty_from = min(
                self._resume, self._start.empty_from_ms if self._start.empty_from_ms is not None else self._resume
            )
        position = StreamPosition(
            watermark_ms=self._watermark,
            newest_ms=self._newest,
            lag_ms=learned_lag_ms(self._start.lag_ms, progress, self._max_lag),
            empty_from_ms=empty_from,
            swept_at_ms=self._start.swept_at_ms,
            swept_to_ms=self._start.swept_to_ms,
        )
        return self._sweep.marked(position) if self._sweep is not None else position

    @property
    def state(self) -> MutableMapping[str, Any]:
        return self.position.as_state()

    def stream_slices(self) -> Iterable[StreamSlice]:
        for start, end in self._range.windows():
            yield StreamSlice(partition=self._slice_partition, cursor_slice={START_KEY: start, END_KEY: end})

    def observe(self, record: Record) -> None:
        pass  # the state comes from finished windows, not from records

    def should_be_synced(self, record: Record) -> bool:
        return True  # a window returns only its own events

    def close_partition(self, partition: Partition) -> None:
        if self._sweep is not None and self._sweep.owns(partition):  # a late-event re-read, below the range
            with self._lock:
                self._sweep.partition_done(partition)
                self._emit()
            return
        start, end = window_bounds(partition.to_slice())
        findings = partition.findings if isinstance(partition, ReportsFindings) else WindowFindings()
        with self._lock:
            self._finished[start] = (end, findings)
            self._advance()
            self._emit()

    def ensure_at_least_one_state_emitted(self) -> None:
        with self._lock:
            if not self._emitted:
                self._emit()

    def _advance(self) -> None:
        for start in sorted(self._finished):
            if start > self._watermark:
                return
            end, findings = self._finished.pop(start)
            self._watermark = max(self._watermark, end)
            if findings.newest_ms is not None and (self._newest is None or findings.newest_ms > self._newest):
                self._newest = findings.newest_ms
            self._max_lag = max(self._max_lag, findings.max_lag_ms)

    def _emit(self) -> None:
        self._emit_state(self.state)
        self._emitted = True
