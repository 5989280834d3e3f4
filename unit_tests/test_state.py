"""State math and the cursor built on it: windows tile the range; the state is the end of the first
contiguous run of finished windows, whatever order they finish in."""

from __future__ import annotations

import math
from typing import Any

import pytest

from source_cloudwatch_logs.ranges import (
    DAY_MS,
    MAX_BACKDATE_MS,
    MIN_WINDOW_MS,
    TARGET_WINDOW_BYTES,
    earliest_event_ms,
    read_end_ms,
    read_start_ms,
    resume_ms,
    window_length_ms,
)
from source_cloudwatch_logs.state import (
    StreamPosition,
    iso_utc,
    state_positions,
    usable_group_positions,
    usable_position,
)
from unit_tests.conftest import NOW


def test_earliest_event_allows_for_back_dated_events_and_retention() -> None:
    created = NOW - 2 * DAY_MS
    assert earliest_event_ms(created, None, NOW) == created - MAX_BACKDATE_MS
    assert earliest_event_ms(created, 1, NOW) == NOW - DAY_MS
    assert earliest_event_ms(created, 30, NOW) == created - MAX_BACKDATE_MS
    assert earliest_event_ms(None, None, NOW) == 0
    assert read_start_ms(None, 5) == 5
    assert read_start_ms(10, 5) == 10
    assert read_end_ms(NOW, 300) == NOW - 300_000


def test_reading_resumes_a_lookback_before_the_watermark_and_at_the_newest_event_never_before_the_start() -> None:
    assert resume_ms(100, None, 50) == 100
    assert resume_ms(100, StreamPosition(1_000), 0) == 1_000
    assert resume_ms(100, StreamPosition(1_000), 300) == 700
    assert resume_ms(100, StreamPosition(120), 300) == 100
    assert resume_ms(100, StreamPosition(50), 0) == 100  # a state before start_date: read from start_date
    assert resume_ms(100, StreamPosition(1_000, newest_ms=400), 300) == 400  # quiet since 400: re-read from it
    assert resume_ms(100, StreamPosition(1_000, newest_ms=999), 300) == 700
    assert resume_ms(100, StreamPosition(1_000, newest_ms=999), 0) == 999  # the newest event's millisecond too
    assert resume_ms(500, StreamPosition(1_000, newest_ms=400), 0) == 500


def test_window_length_adapts_to_stored_bytes() -> None:
    span = 14 * DAY_MS
    assert window_length_ms(span, 0, span) == span  # a small group is one window
    assert window_length_ms(span, TARGET_WINDOW_BYTES, span) == span
    assert window_length_ms(span, 10 * TARGET_WINDOW_BYTES, span) == span // 10
    # only the share of the data inside the range counts
    assert window_length_ms(span // 10, 10 * TARGET_WINDOW_BYTES, span) == span // 10
    assert window_length_ms(span, 10**15, span) >= MIN_WINDOW_MS
    assert window_length_ms(0, 10**9, span) == MIN_WINDOW_MS


def test_a_big_group_gets_a_window_per_thread_to_keep_the_quota_busy() -> None:
    span = 14 * DAY_MS
    # 300 MB: 3 windows by size, but 27 threads at 25 requests/s: 27 windows, each still many pages.
    assert window_length_ms(span, 300 * 2**20, span, parallel=27) == math.ceil(span / 27)
    # 5 MB: no more windows than pages.
    assert window_length_ms(span, 5 * 2**20, span, parallel=27) == math.ceil(span / 5)
    assert window_length_ms(span, 2**19, span, parallel=27) == span  # under a page: one window, one call


# Incoming state ------------------------------------------------------------------------------------------


def test_state_positions_from_every_shape() -> None:
    stream = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "a"}, "stream_state": {"timestamp": 5}}}
    assert state_positions([stream]) == ({"a": {"timestamp": 5}}, [])
    assert state_positions(None) == ({}, [])
    assert state_positions({"a": {"timestamp": 5}, "b": {"timestamp": 6}}) == (
        {"a": {"timestamp": 5}, "b": {"timestamp": 6}},
        ["The state is in the legacy single-object shape; it was converted per stream."],
    )
    assert state_positions([{"type": "LEGACY", "data": {"a": {"timestamp": 5}}}]) == (
        {"a": {"timestamp": 5}},
        ["The state has a LEGACY message; it was converted per stream."],
    )
    global_state = {
        "type": "GLOBAL",
        "global": {"stream_states": [{"stream_descriptor": {"name": "a"}, "stream_state": {"timestamp": 5}}]},
    }
    assert state_positions([global_state]) == (
        {"a": {"timestamp": 5}},
        ["The state has a GLOBAL message; its stream states were used per stream."],
    )
    assert state_positions([stream, 7, {"type": "STREAM"}]) == (
        {"a": {"timestamp": 5}},
        ["State entry 1 has an unknown shape and was ignored.", "State entry 2 has an unknown shape and was ignored."],
    )


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"timestamp": NOW - DAY_MS}, (NOW - DAY_MS, None)),
        ({"timestamp": float(NOW - DAY_MS) + 0.7}, (NOW - DAY_MS, None)),
        ({"timestamp": str(NOW - DAY_MS)}, (NOW - DAY_MS, None)),
        ({"timestamp": 0}, (0, None)),
        (
            {"timestamp": 1_700_000_000},
            (
                1_700_000_000_000,
                "its `timestamp` 1700000000 looks like epoch seconds; it was read as 1700000000000 ms "
                "(2023-11-14T22:13:20.000Z)",
            ),
        ),
        ({"timestamp": -5}, (None, "its `timestamp` -5 is negative")),
        (
            {"timestamp": NOW + 1},
            (
                NOW + 1,
                f"its `timestamp` {NOW + 1} (2026-11-18T11:06:40.001Z) is in the future: nothing is read for it "
                "and the state is kept",
            ),
        ),
        (
            {"timestamp": (NOW - DAY_MS) * 1000 + 999},
            (
                NOW - DAY_MS,
                f"its `timestamp` {(NOW - DAY_MS) * 1000 + 999} looks like epoch microseconds; it was read as "
                f"{NOW - DAY_MS} ms (2026-11-17T11:06:40.000Z)",
            ),
        ),
        (
            {"timestamp": (NOW - DAY_MS) * 1_000_000 + 5},
            (
                NOW - DAY_MS,
                f"its `timestamp` {(NOW - DAY_MS) * 1_000_000 + 5} looks like epoch nanoseconds; it was read as "
                f"{NOW - DAY_MS} ms (2026-11-17T11:06:40.000Z)",
            ),
        ),
        ({"timestamp": "soon"}, (None, "its `timestamp` is not a number")),
        ({"timestamp": True}, (None, "its `timestamp` is not a number")),
        ({"cursor": 5}, (None, "it has no `timestamp`")),
        ("5", (None, "it has no `timestamp`")),
    ],
)
def test_usable_position(state: Any, expected: tuple[int | None, str | None]) -> None:
    position, problem = usable_position(state, NOW)
    assert (None if position is None else position.watermark_ms, problem) == expected


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (
            {"timestamp": NOW - DAY_MS, "newest_event_timestamp": NOW - 2 * DAY_MS, "ingestion_lag_ms": 900_000},
            (StreamPosition(NOW - DAY_MS, NOW - 2 * DAY_MS, 900_000), None),
        ),
        (  # written by 0.1.0 or the older connector: nothing known about the newest event or the lag
            {"timestamp": NOW - DAY_MS},
            (StreamPosition(NOW - DAY_MS, None, 0), None),
        ),
        (  # in seconds: the newest event is read in the same unit
            {"timestamp": (NOW - DAY_MS) // 1000, "newest_event_timestamp": (NOW - 2 * DAY_MS) // 1000},
            (
                StreamPosition(NOW - DAY_MS, NOW - 2 * DAY_MS, 0),
                f"its `timestamp` {(NOW - DAY_MS) // 1000} looks like epoch seconds; it was read as {NOW - DAY_MS} "
                "ms (2026-11-17T11:06:40.000Z)",
            ),
        ),
        (
            {"timestamp": NOW - DAY_MS, "newest_event_timestamp": NOW - DAY_MS, "ingestion_lag_ms": "x"},
            (
                StreamPosition(NOW - DAY_MS, None, 0),
                "its `newest_event_timestamp` is not a number below `timestamp`; it was ignored; its "
                "`ingestion_lag_ms` is not a number of milliseconds; it was ignored",
            ),
        ),
        (
            {"timestamp": NOW + 5, "newest_event_timestamp": NOW - 5, "ingestion_lag_ms": 7},
            (
                StreamPosition(NOW + 5, NOW - 5, 7),
                f"its `timestamp` {NOW + 5} (2026-11-18T11:06:40.005Z) is in the future: nothing is read for it "
                "and the state is kept",
            ),
        ),
    ],
)
def test_usable_position_with_newest_event_and_lag(state: Any, expected: tuple[StreamPosition, str | None]) -> None:
    assert usable_position(state, NOW) == expected
    position = expected[0]
    assert usable_position(position.as_state(), NOW)[0] == position  # what is written reads back the same


def test_a_stream_without_events_resumes_where_its_empty_stretch_began() -> None:
    """Issue 20 item 1: an empty stream re-reads the stretch it found empty (back-fills land there)."""
    assert resume_ms(100, StreamPosition(1_000, empty_from_ms=200), 0) == 200
    assert resume_ms(100, StreamPosition(1_000, empty_from_ms=200), 900) == 100  # the lookback reaches further
    assert resume_ms(300, StreamPosition(1_000, empty_from_ms=200), 0) == 300  # never before the start
    # A newest event bounds the quiet stretch instead; `empty_from` is never written beside it.
    assert resume_ms(100, StreamPosition(1_000, newest_ms=600, empty_from_ms=200), 0) == 600
    assert StreamPosition(1_000, newest_ms=600, empty_from_ms=200).as_state() == {
        "timestamp": 1_000,
        "newest_event_timestamp": 600,
    }
    assert StreamPosition(1_000, empty_from_ms=200).as_state() == {"timestamp": 1_000, "empty_from": 200}


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ({"timestamp": NOW, "empty_from": NOW - 5}, (StreamPosition(NOW, empty_from_ms=NOW - 5), None)),
        ({"timestamp": NOW, "empty_from": str(NOW - 5)}, (StreamPosition(NOW, empty_from_ms=NOW - 5), None)),
        (
            {"timestamp": NOW, "empty_from": NOW + 5},
            (
                StreamPosition(NOW, empty_from_ms=0),
                "its `empty_from` is not a number below `timestamp`; it was read as 0 (the stream's start): what "
                "was read before is read again",
            ),
        ),
        (
            {"timestamp": NOW, "empty_from": [1]},
            (
                StreamPosition(NOW, empty_from_ms=0),
                "its `empty_from` is not a number below `timestamp`; it was read as 0 (the stream's start): what "
                "was read before is read again",
            ),
        ),
        # Beside a newest event it means nothing and is not read.
        ({"timestamp": NOW, "newest_event_timestamp": NOW - 9, "empty_from": 1}, (StreamPosition(NOW, NOW - 9), None)),
        # Epoch seconds: read in the watermark's unit.
        (
            {"timestamp": NOW // 1000, "empty_from": NOW // 1000 - 60},
            (
                StreamPosition(NOW // 1000 * 1000, empty_from_ms=NOW // 1000 * 1000 - 60_000),
                f"its `timestamp` {NOW // 1000} looks like epoch seconds; it was read as {NOW // 1000 * 1000} ms "
                f"({iso_utc(NOW // 1000 * 1000)})",
            ),
        ),
    ],
)
def test_usable_position_with_an_empty_stretch(state: Any, expected: tuple[StreamPosition, str | None]) -> None:
    assert usable_position(state, NOW) == expected


def test_a_merged_state_whose_log_groups_is_not_an_object_is_warned_about() -> None:
    """Issue 20 item 13: every group resumes from the stream's lowest watermark, and the user is told."""
    state = {"timestamp": NOW - DAY_MS, "log_groups": [{"timestamp": NOW}]}
    positions, problems = usable_group_positions(state, ["a", "b"], NOW)
    assert positions == {"a": StreamPosition(NOW - DAY_MS), "b": StreamPosition(NOW - DAY_MS)}
    assert problems == [
        "its `log_groups` is not an object of log group states; every log group resumes from the stream's "
        "`timestamp`, re-reading what some had read"
    ]


def test_the_groups_a_merged_state_names_that_are_gone_are_one_problem() -> None:
    """Issue 23: a prefix that no longer matches 150 groups says so once, naming the first three."""
    state = {
        "timestamp": NOW - DAY_MS,
        "log_groups": {f"/old/{n:03d}": {"timestamp": NOW - DAY_MS} for n in range(150)},
    }
    positions, problems = usable_group_positions(state, ["/new"], NOW)
    assert positions == {"/new": None}
    assert problems == [
        "150 log groups no longer exist (or no longer match), their positions are dropped: '/old/000', '/old/001', "
        "'/old/002' and 147 more"
    ]
