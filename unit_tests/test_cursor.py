"""The cursor: windows tile the range; the state is the end of the first contiguous run of finished windows,
whatever order they finish in, and is emitted once per finished window (once at least)."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from typing import Any

from airbyte_cdk.models import Type
from airbyte_cdk.sources.message import InMemoryMessageRepository

from source_cloudwatch_logs.cursor import END_KEY, START_KEY
from source_cloudwatch_logs.discovery import StreamDefinition
from source_cloudwatch_logs.state import (
    DAY_MS,
    MAX_BACKDATE_MS,
    TARGET_WINDOW_BYTES,
    usable_position,
)
from source_cloudwatch_logs.streams import LogEventsPartition, build_stream
from unit_tests.conftest import NOW, group, sync_plan


def _stream(state: dict[str, Any], stored_bytes: int, lookback_s: int = 0, start_date: str | None = None):  # type: ignore[no-untyped-def]
    settings = {"lookback_window_seconds": lookback_s, **({"start_date": start_date} if start_date else {})}
    plan = sync_plan(now_ms=NOW, end_ms=NOW - 60_000, **settings)
    definition = StreamDefinition.of_group(group(creation_ms=NOW - 20 * DAY_MS, stored_bytes=stored_bytes))
    position, _ = usable_position(state, NOW) if state else (None, None)
    return build_stream(definition=definition, position_ms=position, plan=plan), plan.repository


def _emitted_positions(repository: InMemoryMessageRepository) -> list[int]:
    return [
        m.state.stream.stream_state.timestamp  # type: ignore[union-attr]
        for m in repository.consume_queue()
        if m.type == Type.STATE
    ]


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
        assert stream.cursor.state == {"timestamp": NOW - 60_000}


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


def test_partitions_hash_by_stream_and_window() -> None:
    stream, _ = _stream({"timestamp": NOW - DAY_MS}, stored_bytes=0)
    (partition,) = stream.generate_partitions()
    assert isinstance(partition, LogEventsPartition)
    (again,) = _stream({"timestamp": NOW - DAY_MS}, stored_bytes=0)[0].generate_partitions()
    assert hash(partition) == hash(again)
    assert partition.stream_name() == "g"
