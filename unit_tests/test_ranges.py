"""Time ranges as pure functions: where a stream starts, resumes and ends, and how its range is cut into windows."""

from __future__ import annotations

import itertools
import random

from source_cloudwatch_logs.ranges import (
    DAY_MS,
    MAX_BACKDATE_MS,
    MIN_WINDOW_MS,
    TARGET_WINDOW_BYTES,
    GroupExtent,
    Lookback,
    ReadRange,
    earliest_event_ms,
    read_end_ms,
    read_range,
    read_start_ms,
    resume_ms,
)
from source_cloudwatch_logs.state import StreamPosition

NOW = 1_795_000_000_000
END = NOW - 300_000
LOOKBACK = Lookback(delay_ms=300_000, floor_ms=0, cap_ms=3_600_000)


def _range(position: StreamPosition | None, stored_bytes: int = 0, lookback: Lookback = LOOKBACK) -> ReadRange:
    return read_range(
        position=position,
        start_date_ms=None,
        extent=GroupExtent(earliest_ms=NOW - 30 * DAY_MS, stored_bytes=stored_bytes),
        now_ms=NOW,
        end_ms=END,
        lookback=lookback,
        parallel=2,
    )


def test_a_group_holds_events_back_dated_14_days_before_its_creation_unless_retention_deleted_them() -> None:
    assert earliest_event_ms(NOW - DAY_MS, None, NOW) == NOW - DAY_MS - MAX_BACKDATE_MS
    assert earliest_event_ms(NOW - 100 * DAY_MS, 7, NOW) == NOW - 7 * DAY_MS
    assert earliest_event_ms(None, None, NOW) == 0
    assert read_start_ms(NOW - DAY_MS, NOW - 10 * DAY_MS) == NOW - DAY_MS
    assert read_start_ms(None, NOW - 10 * DAY_MS) == NOW - 10 * DAY_MS
    assert read_end_ms(NOW, 300) == NOW - 300_000


def test_resume_is_the_lookback_behind_the_watermark_and_no_later_than_the_newest_event_or_empty_stretch() -> None:
    watermark = NOW - DAY_MS
    start = NOW - 10 * DAY_MS
    assert resume_ms(start, None, 60_000) == start
    assert resume_ms(start, StreamPosition(watermark_ms=watermark), 60_000) == watermark - 60_000
    assert resume_ms(start, StreamPosition(watermark_ms=watermark, newest_ms=watermark - DAY_MS), 0) == (
        watermark - DAY_MS
    )
    assert resume_ms(start, StreamPosition(watermark_ms=watermark, empty_from_ms=watermark - 2 * DAY_MS), 0) == (
        watermark - 2 * DAY_MS
    )
    assert resume_ms(start, StreamPosition(watermark_ms=start + 1), 60_000) == start  # never before the start


def test_a_range_without_state_is_one_window_for_a_small_group_and_many_for_a_large_one() -> None:
    small = _range(None)
    assert list(small.windows()) == [(NOW - 30 * DAY_MS, END)]
    assert (small.position, small.lookback_ms) == (StreamPosition(watermark_ms=NOW - 30 * DAY_MS), 0)
    large = _range(None, stored_bytes=100 * TARGET_WINDOW_BYTES)
    windows = list(large.windows())
    assert len(windows) == 100
    assert windows[0][0] == NOW - 30 * DAY_MS and windows[-1][1] == END


def test_windows_tile_the_range_the_first_stretched_over_the_quiet_stretch() -> None:
    rng = random.Random(21)
    for _ in range(200):
        resume = NOW - rng.randint(1, 20) * DAY_MS
        dense_from = resume + rng.randint(0, DAY_MS)
        window = rng.choice([MIN_WINDOW_MS, 3_600_000, DAY_MS])
        time_range = ReadRange(
            position=StreamPosition(watermark_ms=dense_from),
            resume_ms=resume,
            dense_from_ms=dense_from,
            end_ms=END,
            window_ms=window,
        )
        windows = list(time_range.windows())
        assert windows[0][0] == resume and windows[-1][1] == END
        assert all(end == start for (_, end), (start, _) in itertools.pairwise(windows))
        assert windows[0][1] == min(dense_from + window, END)
        assert all(end - start == window for start, end in windows[1:-1])
    assert list(ReadRange(StreamPosition(watermark_ms=END), END, END, END, MIN_WINDOW_MS).windows()) == []


def test_a_state_re_reads_its_learned_lookback_and_its_quiet_stretch() -> None:
    watermark = NOW - DAY_MS
    position = StreamPosition(watermark_ms=watermark, newest_ms=watermark - 3 * DAY_MS, lag_ms=20 * 60_000)
    time_range = _range(position, stored_bytes=400 * TARGET_WINDOW_BYTES)
    behind = int(20 * 60_000 * 1.25) - 300_000  # the lag with its headroom, less the ingestion delay
    assert (time_range.lookback_ms, time_range.resume_ms) == (behind, watermark - 3 * DAY_MS)
    assert time_range.dense_from_ms == watermark - behind
    assert time_range.position == position


def test_a_state_at_or_after_the_end_reads_nothing_not_even_its_lookback() -> None:
    for watermark in (END, NOW + DAY_MS):
        time_range = _range(StreamPosition(watermark_ms=watermark, lag_ms=DAY_MS))
        assert list(time_range.windows()) == []
        assert (time_range.position.watermark_ms, time_range.lookback_ms) == (watermark, 0)


def test_a_state_before_the_group_can_hold_events_starts_at_its_oldest_data() -> None:
    time_range = _range(StreamPosition(watermark_ms=NOW - 100 * DAY_MS))
    assert time_range.resume_ms == NOW - 30 * DAY_MS
    assert time_range.position == StreamPosition(watermark_ms=NOW - 30 * DAY_MS)
