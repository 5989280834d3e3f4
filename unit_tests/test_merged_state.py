"""A merged stream's compact state (merged_state.py): every position round-trips exactly through what the next
sync reads, no group carries a field equal to its default, a state of 1,000 groups stays well under 60 bytes a
group, and a state written before the compact form is read unchanged."""

from __future__ import annotations

import json
import random
from typing import Any

from source_cloudwatch_logs.merged_state import compact_state, long_form
from source_cloudwatch_logs.state import StreamPosition, usable_group_positions
from unit_tests.conftest import NOW

DAY_MS = 86_400_000
END = NOW - 300_000


def _read(state: Any, groups: list[str]) -> dict[str, StreamPosition | None]:
    positions, problems = usable_group_positions(long_form(json.loads(json.dumps(state))), groups, NOW)
    assert problems == []
    return positions


def _random_position(rng: random.Random) -> StreamPosition:
    watermark = rng.choice([END, END, END - rng.randint(1, 5 * DAY_MS)])
    newest = rng.choice([None, watermark - rng.randint(1, 30 * DAY_MS)])
    empty_from = None if newest is not None else rng.choice([None, watermark - rng.randint(1, DAY_MS)])
    return StreamPosition(
        watermark_ms=watermark, newest_ms=newest, lag_ms=rng.choice([0, 0, rng.randint(1, DAY_MS)]),
        empty_from_ms=empty_from,
    )  # fmt: skip


def test_every_position_round_trips_exactly_through_the_compact_form() -> None:
    rng = random.Random(20261203)
    for _ in range(200):
        positions = {f"/g/{i}": _random_position(rng) for i in range(rng.randint(1, 12))}
        state = compact_state(positions)
        assert _read(state, list(positions)) == positions
        assert state["timestamp"] == min(p.watermark_ms for p in positions.values())
        for key, entry in state["groups"].items():  # only what differs from the defaults
            position = positions[key]
            assert ("t" in entry) == (position.watermark_ms != state["timestamp"])
            assert ("n" in entry) == (position.newest_ms is not None)
            assert ("e" in entry) == (position.newest_ms is None and position.empty_from_ms is not None)
            assert ("l" in entry) == (position.lag_ms != 0)


def test_the_compact_form_exactly() -> None:
    positions = {
        "/b": StreamPosition(END, newest_ms=END - 1_000, lag_ms=86_327_000),
        "/a": StreamPosition(END - 60_000, empty_from_ms=END - 3_600_000),
        "111122223333:/c": StreamPosition(END),
    }
    assert compact_state(positions) == {
        "timestamp": END - 60_000,
        "groups": {
            "/a": {"e": 3_540_000},
            "/b": {"t": END, "n": 1_000, "l": 86_327_000},
            "111122223333:/c": {"t": END},
        },
    }
    assert compact_state({}) == {"groups": {}}
    assert _read({"groups": {}}, ["/new"]) == {"/new": None}


def test_a_state_of_1000_groups_after_a_sync_takes_well_under_60_bytes_a_group() -> None:
    """The groups of `benchmarks/merged_scale.py`: names of 24 characters, each group's newest event within a day,
    some with an ingestion lag learned."""
    rng = random.Random(7)
    positions = {
        f"/aws/apigateway/fast-{n:03d}": StreamPosition(
            END, newest_ms=END - rng.randint(1, DAY_MS), lag_ms=rng.choice([0, 150, 86_327_000])
        )
        for n in range(1000)
    }
    size = len(json.dumps(compact_state(positions), separators=(",", ":")))
    assert size / 1000 < 50, size
    written_before = {
        "timestamp": END,
        "log_groups": {key: {"timestamp": END, **position.as_state()} for key, position in positions.items()},
    }
    assert len(json.dumps(written_before, separators=(",", ":"))) / 1000 > 80  # what it replaces


def test_a_state_written_before_the_compact_form_is_read_unchanged() -> None:
    """Literally what 0.2.0 wrote for a merged stream (merged.py before the compact form)."""
    old = {
        "timestamp": 1794999600000,
        "log_groups": {
            "/aws/lambda/orders": {
                "timestamp": 1794999600000,
                "newest_event_timestamp": 1794999500002,
                "ingestion_lag_ms": 86327000,
            },
            "/aws/lambda/quiet": {"timestamp": 1794999700000, "empty_from": 1794990000000},
            "210987654321:/aws/lambda/orders": {"timestamp": 1794999700000},
        },
    }
    assert long_form(old) is old
    assert _read(old, ["/aws/lambda/orders", "/aws/lambda/quiet", "210987654321:/aws/lambda/orders"]) == {
        "/aws/lambda/orders": StreamPosition(1794999600000, newest_ms=1794999500002, lag_ms=86327000),
        "/aws/lambda/quiet": StreamPosition(1794999700000, empty_from_ms=1794990000000),
        "210987654321:/aws/lambda/orders": StreamPosition(1794999700000),
    }
    # The state of the report's single-group days and no state at all pass through as they are.
    assert long_form({"timestamp": 5}) == {"timestamp": 5} and long_form(None) is None


def test_a_compact_entry_that_cannot_be_used_is_said_and_its_group_starts_over_or_keeps_what_is_usable() -> None:
    state = {"timestamp": END, "groups": {"/a": {"n": "x"}, "/b": {"t": "soon"}, "/c": [], "/d": {}}}
    positions, problems = usable_group_positions(long_form(state), ["/a", "/b", "/c", "/d"], NOW)
    assert positions == {"/a": StreamPosition(END), "/b": None, "/c": None, "/d": StreamPosition(END)}
    assert problems == [
        "log group '/a': its `newest_event_timestamp` is not a number below `timestamp`; it was ignored",
        "log group '/b': its `timestamp` is not a number; it starts from its beginning",
        "log group '/c': it has no `timestamp`; it starts from its beginning",
    ]
    # Without the stream's `timestamp`, an entry without its own has no watermark.
    assert usable_group_positions(long_form({"groups": {"/a": {}}}), ["/a"], NOW)[0] == {"/a": None}
