"""The cursor: windows tile the range; the state is the end of the first contiguous run of finished windows,
whatever order they finish in, and is emitted once per finished window (once at least). Built from a range and an
emitter alone, without a sync plan."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from typing import Any

from airbyte_cdk.models import Type
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository

from source_cloudwatch_logs.cursor import END_KEY, START_KEY, StateEmitter, WindowCursor, WindowFindings
from source_cloudwatch_logs.ranges import (
    DAY_MS,
    MAX_BACKDATE_MS,
    TARGET_WINDOW_BYTES,
    GroupExtent,
    Lookback,
    read_range,
)
from source_cloudwatch_logs.spec import parse_config
from source_cloudwatch_logs.state import usable_position
from unit_tests.conftest import NOW


class _Window:
    """A window as the cursor sees it once read: its slice (and nothing found in it)."""

    def __init__(self, stream_slice: Any) -> None:
        self._slice = stream_slice

    def to_slice(self) -> Any:
        return self._slice


class _Stream:
    """A stream's cursor over its range, without a plan: ranges.read_range, a cursor, an emitter."""

    def __init__(self, cursor: WindowCursor) -> None:
        self.cursor = cursor

    def generate_partitions(self) -> list[_Window]:
        return [_Window(window) for window in self.cursor.stream_slices()]


def _stream(
    state: dict[str, Any], stored_bytes: int, lookback_s: int = 0, start_date: str | None = None, **settings: Any
) -> tuple[_Stream, InMemoryMessageRepository]:
    settings = {"lookback_window_seconds": lookback_s, **({"start_date": start_date} if start_date else {}), **settings}
    config = parse_config({"region_name": "us-east-1", **settings})
    position, _ = usable_position(state, NOW) if state else (None, None)
    time_range = read_range(
        position=position,
        start_date_ms=config.start_date_ms,
        extent=GroupExtent(earliest_ms=NOW - 20 * DAY_MS - MAX_BACKDATE_MS, stored_bytes=stored_bytes),
        now_ms=NOW,
        end_ms=END,
        lookback=Lookback(
            delay_ms=config.ingestion_delay_seconds * 1000,
            floor_ms=config.lookback_window_seconds * 1000,
            cap_ms=max(config.lookback_window_seconds, config.max_lookback_seconds) * 1000,
        ),
        parallel=2,
    )
    repository = InMemoryMessageRepository()
    emitter = StateEmitter(stream_name="g", state_manager=ConnectorStateManager(), repository=repository)
    return _Stream(WindowCursor(time_range=time_range, emit=emitter.emit)), repository


END = NOW - 60_000
MINUTE_MS = 60_000


def _emitted_states(repository: InMemoryMessageRepository) -> list[dict[str, Any]]:
    return [
        m.state.stream.stream_state.__dict__  # type: ignore[union-attr]
        for m in repository.consume_queue()
        if m.type == Type.STATE
    ]


def _emitted_positions(repository: InMemoryMessageRepository) -> list[int]:
    return [state["timestamp"] for state in _emitted_states(repository)]


def _bounds(partition: Any) -> tuple[int, int]:
    stream_slice = partition.to_slice()
    return stream_slice[START_KEY], stream_slice[END_KEY]


def test_windows_tile_the_range_and_state_advances_over_contiguous_windows() -> None:
    position = NOW - 5 * DAY_MS
    stream, repository = _stream({"timestamp": position}, stored_bytes=100 * TARGET_WINDOW_BYTES)
    partitions = list(stream.generate_partitions())
    bounds = [_bounds(p) for p in partitions]

    assert len(partitions) > 3
    assert bounds[0][0] == position and bounds[-1][1] == NOW - 60_000
    assert all(end == next_start for (_, end), (next_start, _) in itertools.pairwise(bounds))
    assert all(start < end for start, end in bounds)

    # The second window finishes first: nothing contiguous yet, the state stays where it was.
    stream.cursor.close_partition(partitions[1])
    stream.cursor.close_partition(partitions[0])
    assert _emitted_positions(repository) == [position, bounds[1][1]]
    # At the stream's end the CDK asks for at least one state: none again after the last window's (issue 15).
    stream.cursor.ensure_at_least_one_state_emitted()
    assert _emitted_positions(repository) == []


def test_state_is_the_end_of_the_first_contiguous_run_in_any_finishing_order() -> None:
    rng = random.Random(20261122)
    for _ in range(60):
        position = NOW - rng.randint(0, 10) * DAY_MS - rng.randint(0, DAY_MS)
        lookback = rng.choice([0, 0, 60, 3600])
        stored = rng.choice([0, 3, 40, 250]) * TARGET_WINDOW_BYTES
        stream, repository = _stream({"timestamp": position}, stored_bytes=stored, lookback_s=lookback)
        partitions = list(stream.generate_partitions())
        bounds = [_bounds(p) for p in partitions]
        assert bounds[0][0] == position - lookback * 1000
        assert all(end == next_start for (_, end), (next_start, _) in itertools.pairwise(bounds))

        order = list(range(len(partitions)))
        rng.shuffle(order)
        done: set[int] = set()
        for index in order:
            stream.cursor.close_partition(partitions[index])
            done.add(index)
            contiguous = 0
            while contiguous in done:
                contiguous += 1
            expected = bounds[contiguous - 1][1] if contiguous else position
            assert _emitted_positions(repository)[-1] == max(expected, position)
        # No event was found: the state says where this sync began reading, for the next one to re-read.
        assert stream.cursor.state == {"timestamp": END, "empty_from": bounds[0][0]}


def test_no_state_starts_at_the_start_date_or_the_oldest_data() -> None:
    stream, _ = _stream({}, stored_bytes=0)
    (partition,) = stream.generate_partitions()
    assert _bounds(partition) == (NOW - 20 * DAY_MS - MAX_BACKDATE_MS, NOW - 60_000)

    stream, _ = _stream({}, stored_bytes=0, start_date="2026-11-17T00:00:00Z")
    (partition,) = stream.generate_partitions()
    assert _bounds(partition) == (int(datetime(2026, 11, 17, tzinfo=UTC).timestamp()) * 1000, NOW - 60_000)


def test_a_state_later_than_the_end_generates_no_window_and_keeps_the_state() -> None:
    for lookback_s in (0, 3600):  # not even the lookback is re-read (issue 10, item 6)
        for position in (NOW, NOW + 10 * DAY_MS):
            stream, repository = _stream({"timestamp": position}, stored_bytes=0, lookback_s=lookback_s)
            assert list(stream.generate_partitions()) == []
            stream.cursor.ensure_at_least_one_state_emitted()
            assert _emitted_positions(repository) == [position]


class _Found:
    """A finished window as the cursor sees it: its bounds and what reading it found."""

    def __init__(self, partition: Any, newest_ms: int | None, max_lag_ms: int) -> None:
        self._slice = partition.to_slice()
        self.findings = WindowFindings(newest_ms=newest_ms, max_lag_ms=max_lag_ms)

    def to_slice(self) -> Any:
        return self._slice


def test_a_quiet_stretch_since_the_newest_event_is_re_read_within_the_first_window() -> None:
    watermark, newest = NOW - DAY_MS, NOW - 3 * DAY_MS
    # A small group: one window from the newest event (inclusive) to the end, one call as before.
    stream, _ = _stream({"timestamp": watermark, "newest_event_timestamp": newest}, stored_bytes=0)
    (only,) = stream.generate_partitions()
    assert _bounds(only) == (newest, END)
    # A busy group: the quiet stretch joins the first window; windows are cut from the watermark on.
    stream, _ = _stream(
        {"timestamp": watermark, "newest_event_timestamp": newest}, stored_bytes=400 * TARGET_WINDOW_BYTES
    )
    bounds = [_bounds(p) for p in stream.generate_partitions()]
    window = bounds[1][1] - bounds[1][0]
    assert bounds[0] == (newest, watermark + window)
    assert all(end == next_start for (_, end), (next_start, _) in itertools.pairwise(bounds))
    assert bounds[-1][1] == END


def test_the_lookback_follows_the_learned_lag_between_its_floor_and_cap() -> None:
    watermark = NOW - DAY_MS
    cases = [  # (lag, floor s, cap s) -> re-read behind the watermark: 1.25 x lag - delay (300 s), floor <= it <= cap
        ((20 * MINUTE_MS, 0, 3600), 20 * MINUTE_MS),
        ((2 * MINUTE_MS, 0, 3600), 0),
        ((2 * MINUTE_MS, 600, 3600), 10 * MINUTE_MS),
        ((5 * 60 * MINUTE_MS, 0, 3600), 60 * MINUTE_MS),
        ((5 * 60 * MINUTE_MS, 7200, 3600), 120 * MINUTE_MS),  # a floor above the cap wins
        ((5 * 60 * MINUTE_MS, 0, 0), 0),
    ]
    for (lag, floor_s, cap_s), behind in cases:
        state = {"timestamp": watermark, "newest_event_timestamp": watermark - 1, "ingestion_lag_ms": lag}
        stream, _ = _stream(state, stored_bytes=0, lookback_s=floor_s, max_lookback_seconds=cap_s)
        (only,) = stream.generate_partitions()
        assert _bounds(only) == (min(watermark - 1, watermark - behind), END), (lag, floor_s, cap_s)


def test_an_old_state_resumes_exactly_at_its_watermark_less_the_floor() -> None:
    for floor_s in (0, 600):
        stream, _ = _stream({"timestamp": NOW - DAY_MS}, stored_bytes=0, lookback_s=floor_s)
        (only,) = stream.generate_partitions()
        assert _bounds(only) == (NOW - DAY_MS - floor_s * 1000, END)


def test_newest_event_and_lag_join_the_state_only_with_their_window_in_the_contiguous_run() -> None:
    rng = random.Random(20261130)
    for _ in range(40):
        watermark = NOW - rng.randint(1, 5) * DAY_MS
        start = {"timestamp": watermark, "newest_event_timestamp": watermark - DAY_MS, "ingestion_lag_ms": 0}
        stream, repository = _stream(start, stored_bytes=rng.choice([3, 40]) * TARGET_WINDOW_BYTES)
        partitions = list(stream.generate_partitions())
        found = []
        for partition in partitions:
            low, high = _bounds(partition)
            newest = rng.choice([None, rng.randrange(low, high)])
            found.append(_Found(partition, newest, rng.randint(0, 10 * MINUTE_MS)))
        order = list(range(len(found)))
        rng.shuffle(order)
        done: set[int] = set()
        for index in order:
            stream.cursor.close_partition(found[index])  # type: ignore[arg-type]
            done.add(index)
            run = 0
            while run in done:
                run += 1
            newest = max([watermark - DAY_MS] + [f.findings.newest_ms for f in found[:run] if f.findings.newest_ms])
            lag = max([0] + [f.findings.max_lag_ms for f in found[:run]])
            (state,) = _emitted_states(repository)
            expected_watermark = max(watermark, _bounds(partitions[run - 1])[1]) if run else watermark
            assert state == {
                "timestamp": expected_watermark,
                "newest_event_timestamp": newest,
                **({"ingestion_lag_ms": lag} if lag else {}),
            }
            assert state["newest_event_timestamp"] < state["timestamp"]


def test_the_learned_lag_decays_with_the_watermark_and_grows_at_once() -> None:
    lag = 40 * MINUTE_MS
    state = {
        "timestamp": NOW - DAY_MS - 60_000,
        "newest_event_timestamp": NOW - DAY_MS - 70_000,
        "ingestion_lag_ms": lag,
    }
    stream, repository = _stream(state, stored_bytes=0)
    (only,) = stream.generate_partitions()
    stream.cursor.close_partition(_Found(only, None, MINUTE_MS))  # type: ignore[arg-type]
    # One day of progress (the half-life): half the lag is kept, as it is larger than the one just seen.
    assert _emitted_states(repository)[-1]["ingestion_lag_ms"] == lag // 2
    stream, repository = _stream(state, stored_bytes=0)
    (only,) = stream.generate_partitions()
    stream.cursor.close_partition(_Found(only, None, 50 * MINUTE_MS))  # type: ignore[arg-type]
    assert _emitted_states(repository)[-1]["ingestion_lag_ms"] == 50 * MINUTE_MS
