"""State math and the cursor built on it: windows tile the range; the state is the end of the first
contiguous run of finished windows, whatever order they finish in."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from airbyte_cdk.models import Type
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository

from source_cloudwatch_logs.discovery import StreamDefinition
from source_cloudwatch_logs.pacing import ApiStats
from source_cloudwatch_logs.progress import SyncProgress
from source_cloudwatch_logs.spec import parse_config
from source_cloudwatch_logs.state import (
    DAY_MS,
    MAX_BACKDATE_MS,
    MIN_WINDOW_MS,
    TARGET_WINDOW_BYTES,
    EpochMillisStateConverter,
    datetime_to_ms,
    earliest_event_ms,
    iso_utc,
    ms_to_datetime,
    read_end_ms,
    read_start_ms,
    state_positions,
    usable_position,
    window_length_ms,
)
from source_cloudwatch_logs.streams import END_KEY, START_KEY, LogEventsPartition, build_stream
from unit_tests.conftest import StubLogsApi, group

NOW = 1_795_000_000_000


def test_millisecond_conversions_are_exact() -> None:
    for ms in (0, 1, 999, 1_795_000_000_042, 253_402_300_799_999):
        assert datetime_to_ms(ms_to_datetime(ms)) == ms
    assert ms_to_datetime(1_000) == datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert iso_utc(1_795_000_000_042) == "2026-11-18T11:06:40.042Z"
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"


def test_earliest_event_allows_for_back_dated_events_and_retention() -> None:
    created = NOW - 2 * DAY_MS
    assert earliest_event_ms(created, None, NOW) == created - MAX_BACKDATE_MS
    assert earliest_event_ms(created, 1, NOW) == NOW - DAY_MS
    assert earliest_event_ms(created, 30, NOW) == created - MAX_BACKDATE_MS
    assert earliest_event_ms(None, None, NOW) == 0
    assert read_start_ms(None, 5) == 5
    assert read_start_ms(10, 5) == 10
    assert read_end_ms(NOW, 300) == NOW - 300_000


def test_window_length_adapts_to_stored_bytes() -> None:
    span = 14 * DAY_MS
    assert window_length_ms(span, 0, span) == span  # a small group is one window
    assert window_length_ms(span, TARGET_WINDOW_BYTES, span) == span
    assert window_length_ms(span, 10 * TARGET_WINDOW_BYTES, span) == span // 10
    # only the share of the data inside the range counts
    assert window_length_ms(span // 10, 10 * TARGET_WINDOW_BYTES, span) == span // 10
    assert window_length_ms(span, 10**15, span) >= MIN_WINDOW_MS
    assert window_length_ms(0, 10**9, span) == MIN_WINDOW_MS


def test_converter_reads_and_writes_epoch_milliseconds() -> None:
    converter = EpochMillisStateConverter()
    assert converter.output_format(converter.parse_timestamp(1_795_000_000_042)) == 1_795_000_000_042
    for bad in ("1795000000042", 1.5, None, True):
        with pytest.raises(ValueError):
            converter.parse_timestamp(bad)


def _stream(state: dict[str, Any], stored_bytes: int, lookback_s: int = 0, start_date: str | None = None):  # type: ignore[no-untyped-def]
    config = parse_config(
        {
            "region_name": "us-east-1",
            "lookback_window_seconds": lookback_s,
            **({"start_date": start_date} if start_date else {}),
        }
    )
    repository = InMemoryMessageRepository()
    definition = StreamDefinition(name="g", group=group(creation_ms=NOW - 20 * DAY_MS, stored_bytes=stored_bytes))
    stream = build_stream(
        definition,
        StubLogsApi([]),
        config,
        state,
        ConnectorStateManager(),
        repository,
        SyncProgress(repository, ApiStats(), total_streams=1),
        NOW,
        NOW - 60_000,
        logger=__import__("logging").getLogger("test"),
    )
    return stream, repository


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
    assert _bounds(partition) == (datetime_to_ms(datetime(2026, 11, 17, tzinfo=UTC)), NOW - 60_000)


def test_a_state_later_than_the_end_generates_no_window_and_keeps_the_state() -> None:
    stream, repository = _stream({"timestamp": NOW}, stored_bytes=0)
    assert list(stream.generate_partitions()) == []
    stream.cursor.ensure_at_least_one_state_emitted()
    assert _emitted_positions(repository) == [NOW]


def test_partitions_hash_by_stream_and_window() -> None:
    stream, _ = _stream({"timestamp": NOW - DAY_MS}, stored_bytes=0)
    (partition,) = stream.generate_partitions()
    assert isinstance(partition, LogEventsPartition)
    (again,) = _stream({"timestamp": NOW - DAY_MS}, stored_bytes=0)[0].generate_partitions()
    assert hash(partition) == hash(again)
    assert partition.stream_name() == "g"


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
            (None, f"its `timestamp` {NOW + 1} (2026-11-18T11:06:40.001Z) is in the future"),
        ),
        ({"timestamp": "soon"}, (None, "its `timestamp` is not a number")),
        ({"timestamp": True}, (None, "its `timestamp` is not a number")),
        ({"cursor": 5}, (None, "it has no `timestamp`")),
        ("5", (None, "it has no `timestamp`")),
    ],
)
def test_usable_position(state: Any, expected: tuple[int | None, str | None]) -> None:
    assert usable_position(state, NOW) == expected
