"""Time ranges as pure functions: where a stream's reading starts, resumes and ends in a sync, and how that range
is cut into half-open windows `[start, end)` of epoch milliseconds.

A stream reads `[resume_ms, end_ms)`. Without state it starts at `start_date`, but never before the oldest event
its log group can hold. With state it resumes the stream's lookback (lookback.py) before its watermark, and no
later than its newest event (or where its empty stretch began): the quiet stretch after them holds only late
arrivals. That stretch, `[resume_ms, dense_from_ms)`, joins the first window instead of costing windows (calls) of
its own; from `dense_from_ms` on, windows are `window_ms` long, sized by the log group's stored bytes
(tests: unit_tests/test_ranges.py).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, replace

from source_cloudwatch_logs.lookback import lookback_ms
from source_cloudwatch_logs.state import StreamPosition

DAY_MS = 24 * 3600 * 1000
# PutLogEvents accepts events timestamped up to 14 days before "now", so a log group can hold events
# up to 14 days older than its own creation time.
MAX_BACKDATE_MS = 14 * DAY_MS
# Window planning: aim for windows of about this much stored data, never shorter than a minute.
TARGET_WINDOW_BYTES = 128 * 1024 * 1024
MIN_WINDOW_MS = 60_000
MAX_WINDOWS_PER_STREAM = 256
PAGE_BYTES = 1_048_576  # FilterLogEvents returns at most 1 MB (and 10,000 events) per page


def earliest_event_ms(creation_ms: int | None, retention_days: int | None, at_ms: int) -> int:
    """The oldest timestamp a log group can still hold, from what DescribeLogGroups returned.

    Not the creation time itself: events can be back-dated 14 days at ingestion. Retention deletes
    events older than `retentionInDays`, so the bound is the later of the two.
    """
    earliest = max(0, (creation_ms or 0) - MAX_BACKDATE_MS)
    if retention_days:
        earliest = max(earliest, at_ms - retention_days * DAY_MS)
    return earliest


def read_start_ms(start_date_ms: int | None, earliest_ms: int) -> int:
    """Where a stream without state starts: the configured start date, but not before any data."""
    return max(start_date_ms or 0, earliest_ms)


def resume_ms(start_ms: int, position: StreamPosition | None, lookback_ms: int) -> int:
    """Where a stream's windows begin: `lookback_ms` before its watermark, and no later than its newest event
    (inclusive: a late event in the same millisecond is read too), never before `start_ms`."""
    if position is None:
        return start_ms
    resume = position.watermark_ms - lookback_ms
    if position.newest_ms is not None:
        resume = min(resume, position.newest_ms)
    elif position.empty_from_ms is not None:  # nothing seen yet: the whole stretch read before may hold late events
        resume = min(resume, position.empty_from_ms)
    return max(start_ms, resume)


def read_end_ms(at_ms: int, ingestion_delay_seconds: int) -> int:
    """A sync reads only up to now minus the ingestion delay (exclusive)."""
    return at_ms - ingestion_delay_seconds * 1000


def window_length_ms(range_ms: int, stored_bytes: int | None, retained_span_ms: int, parallel: int = 1) -> int:
    """Length of the time windows a stream's range is split into.

    `storedBytes` covers the whole group; assume it is spread evenly over the span it can hold, and size the
    windows so each holds about TARGET_WINDOW_BYTES. A small group is one window (one call per sync); a large one
    gets windows that are read in parallel and checkpointed one by one, and at least `parallel` of them (the
    sync's threads) when it holds that many pages, so that one big group alone keeps the quota busy.
    """
    if range_ms <= 0:
        return MIN_WINDOW_MS
    share = min(1.0, range_ms / retained_span_ms) if retained_span_ms > 0 else 1.0
    estimated_bytes = (stored_bytes or 0) * share
    by_size = math.ceil(estimated_bytes / TARGET_WINDOW_BYTES)
    by_pages = min(parallel, math.floor(estimated_bytes / PAGE_BYTES))
    windows = min(MAX_WINDOWS_PER_STREAM, max(1, by_size, by_pages))
    return max(MIN_WINDOW_MS, math.ceil(range_ms / windows))


@dataclass(frozen=True)
class Lookback:
    """The late-event settings of a sync, in milliseconds: the ingestion delay, the lookback's floor and cap."""

    delay_ms: int
    floor_ms: int
    cap_ms: int


@dataclass(frozen=True)
class GroupExtent:
    """What a log group's listing says of where its events can be: the oldest timestamp it can hold and its
    stored bytes (None: not known)."""

    earliest_ms: int
    stored_bytes: int | None


@dataclass(frozen=True)
class ReadRange:
    """One stream's reading in one sync: windows tile `[resume_ms, end_ms)`, the first one stretched over the
    quiet stretch `[resume_ms, dense_from_ms)`; `position` is the state the stream starts the sync with, and
    `lookback_ms` how far behind its watermark it re-reads (0 without state)."""

    position: StreamPosition
    resume_ms: int
    dense_from_ms: int
    end_ms: int
    window_ms: int
    lookback_ms: int = 0

    def windows(self) -> Iterator[tuple[int, int]]:
        """The windows, in time order, each `(start_ms, end_ms)`, end exclusive; none when the range is empty."""
        start = self.resume_ms
        while start < self.end_ms:
            end = min(max(start, self.dense_from_ms) + self.window_ms, self.end_ms)
            yield start, end
            start = end


def read_range(
    *,
    position: StreamPosition | None,
    start_date_ms: int | None,
    extent: GroupExtent,
    now_ms: int,
    end_ms: int,
    lookback: Lookback,
    parallel: int,
) -> ReadRange:
    """The range a stream reads in a sync that ends at `end_ms`, from its usable state `position` (None: none).

    `parallel`: the threads this stream may keep busy (its fair share), which its window count aims for when its
    log group holds that many pages.
    """
    start = read_start_ms(start_date_ms, extent.earliest_ms)
    learned = 0
    if position is None:
        resume = dense_from = start
    elif position.watermark_ms >= end_ms:  # a state at or after this sync's end: nothing is new yet
        resume = dense_from = position.watermark_ms
    else:
        learned = lookback_ms(
            lag_ms=position.lag_ms, delay_ms=lookback.delay_ms, floor_ms=lookback.floor_ms, cap_ms=lookback.cap_ms
        )
        resume = resume_ms(start, position, learned)
        dense_from = max(resume, position.watermark_ms - learned)
    window_ms = window_length_ms(
        end_ms - dense_from, extent.stored_bytes, max(1, now_ms - extent.earliest_ms), parallel=max(1, parallel)
    )
    initial = position or StreamPosition(watermark_ms=start)
    return ReadRange(
        position=replace(initial, watermark_ms=max(start, initial.watermark_ms)),
        resume_ms=resume,
        dense_from_ms=dense_from,
        end_ms=end_ms,
        window_ms=window_ms,
        lookback_ms=learned,
    )
