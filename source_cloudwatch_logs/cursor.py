"""A stream's cursor: cuts its range into half-open time windows and owns its state.

The state is the end of the first contiguous run of finished windows (counted from the stream's position when
the sync began), emitted after each finished window, whatever order windows finish in. Windows are handed to
workers in time order and each is checkpointed by the worker that read it, right after its records: a STATE
message always follows the records it covers.

This implements the CDK's concurrent `Cursor` interface directly: the state contract is this module's, written
down here and property-tested in unit_tests/test_cursor.py, and no CDK converter or private hook is involved.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, MutableMapping
from typing import Any

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record, StreamSlice

from source_cloudwatch_logs.records import CURSOR_FIELD

START_KEY, END_KEY = "start_time", "end_time"


def window_bounds(stream_slice: Mapping[str, Any] | None) -> tuple[int, int]:
    if stream_slice is None:
        raise ValueError("a time window without bounds")
    return int(stream_slice[START_KEY]), int(stream_slice[END_KEY])


class WindowCursor(Cursor):
    """Windows of `window_ms` tiling `[resume_ms, end_ms)`; state starts at `position_ms`.

    `position_ms` is where the stream's state stands at the start of the sync (its saved position, or its read
    start without one); `resume_ms` (at most `position_ms`) is where reading begins, earlier by the lookback.
    """

    def __init__(
        self,
        *,
        stream_name: str,
        position_ms: int,
        resume_ms: int,
        end_ms: int,
        window_ms: int,
        state_manager: ConnectorStateManager,
        repository: MessageRepository,
    ) -> None:
        self._stream_name = stream_name
        self._position = position_ms
        self._resume = resume_ms
        self._end = end_ms
        self._window = window_ms
        self._state_manager = state_manager
        self._repository = repository
        self._finished: dict[int, int] = {}  # start -> end of finished windows beyond the contiguous run
        self._emitted = False
        self._lock = threading.Lock()

    @property
    def window_ms(self) -> int:
        return self._window

    @property
    def end_ms(self) -> int:
        return self._end

    @property
    def state(self) -> MutableMapping[str, Any]:
        return {CURSOR_FIELD: self._position}

    def stream_slices(self) -> Iterable[StreamSlice]:
        start = self._resume
        while start < self._end:
            end = min(start + self._window, self._end)
            yield StreamSlice(partition={}, cursor_slice={START_KEY: start, END_KEY: end})
            start = end

    def observe(self, record: Record) -> None:
        pass  # the state comes from finished windows, not from records

    def should_be_synced(self, record: Record) -> bool:
        return True  # a window returns only its own events

    def close_partition(self, partition: Partition) -> None:
        start, end = window_bounds(partition.to_slice())
        with self._lock:
            self._finished[start] = max(end, self._finished.get(start, end))
            self._advance()
            self._emit()

    def ensure_at_least_one_state_emitted(self) -> None:
        with self._lock:
            if not self._emitted:
                self._emit()

    def _advance(self) -> None:
        for start in sorted(self._finished):
            if start > self._position:
                return
            self._position = max(self._position, self._finished.pop(start))

    def _emit(self) -> None:
        self._state_manager.update_state_for_stream(self._stream_name, None, self.state)
        self._repository.emit_message(self._state_manager.create_state_message(self._stream_name, None))
        self._emitted = True
