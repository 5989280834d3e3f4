"""A merged stream's state in its compact form, written after 0.2.0: a position per log group in a few bytes, so a
stream over thousands of groups writes a state that grows by well under 60 bytes per group.

    {"timestamp": <the lowest watermark>, "groups": {"<key>": {"t": ..., "n": ..., "e": ..., "l": ...}}}

Each group's entry holds only what differs from the defaults; all its keys are optional:
- `t`: the group's watermark (epoch ms); absent, it is the stream's `timestamp` (after a complete sync every group
  has the same watermark, the sync's end, and none carries `t`);
- `n`: the newest event emitted below the watermark, as milliseconds before the watermark (absent: none known);
- `e`: for a group that has shown no event, where its empty stretch began, as milliseconds before the watermark;
- `l`: the group's learned ingestion lag in milliseconds (absent: none learned).
So `{}` is a group at the stream's watermark with nothing else known. The key of a group is its state key
(discovery.py: the name, or `<account id>:<name>`).

The form written before, `{"timestamp": ..., "log_groups": {"<key>": <a stream's state>}}` (state.py), is still
read unchanged: `long_form` turns a compact state into that form, and `state.usable_group_positions` reads it.
A connector older than the compact form reading a compact state finds no `log_groups` and resumes every group
from the stream's `timestamp`, the lowest watermark: it loses nothing.

Proved by unit_tests/test_merged_state.py (round trips of random positions, the size per group, an old state read
unchanged) and integration_tests/test_merged_scale.py (a SIGKILLed sync over 200 groups resumes exactly).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from source_cloudwatch_logs.records import CURSOR_FIELD
from source_cloudwatch_logs.state import EMPTY_FROM_KEY, GROUPS_KEY, LAG_KEY, NEWEST_KEY, StreamPosition

COMPACT_GROUPS_KEY = "groups"
WATERMARK, NEWEST_BEFORE, EMPTY_BEFORE, LAG = "t", "n", "e", "l"


def compact_state(positions: Mapping[str, StreamPosition]) -> dict[str, Any]:
    """The stream's state of these group positions (by state key), in the compact form."""
    lowest = min((position.watermark_ms for position in positions.values()), default=None)
    groups = {key: _entry(positions[key], lowest) for key in sorted(positions)}
    state: dict[str, Any] = {} if lowest is None else {CURSOR_FIELD: lowest}
    state[COMPACT_GROUPS_KEY] = groups
    return state


def _entry(position: StreamPosition, lowest: int | None) -> dict[str, int]:
    watermark = position.watermark_ms
    entry: dict[str, int] = {}
    if watermark != lowest:
        entry[WATERMARK] = watermark
    if position.newest_ms is not None:
        entry[NEWEST_BEFORE] = watermark - position.newest_ms
    elif position.empty_from_ms is not None and position.empty_from_ms < watermark:
        entry[EMPTY_BEFORE] = watermark - position.empty_from_ms
    if position.lag_ms:
        entry[LAG] = position.lag_ms
    return entry


def long_form(stream_state: Any) -> Any:
    """A compact state as the form written before (each group's entry a stream's state), for
    `state.usable_group_positions`; any other state as it is. A value that is not a number is handed on as it
    is, so that reading it says what is wrong with it."""
    if not isinstance(stream_state, dict) or not isinstance(stream_state.get(COMPACT_GROUPS_KEY), dict):
        return stream_state
    lowest = stream_state.get(CURSOR_FIELD)
    groups = {key: _long_entry(entry, lowest) for key, entry in stream_state[COMPACT_GROUPS_KEY].items()}
    long: dict[str, Any] = {} if lowest is None else {CURSOR_FIELD: lowest}
    long[GROUPS_KEY] = groups
    return long


def _long_entry(entry: Any, lowest: Any) -> Any:
    if not isinstance(entry, dict):
        return entry  # not an object: read as such, it has no watermark
    watermark = entry.get(WATERMARK, lowest)
    if watermark is None:
        return {}  # no watermark of its own nor the stream's: it starts from its beginning
    long: dict[str, Any] = {CURSOR_FIELD: watermark}
    for short, key in ((NEWEST_BEFORE, NEWEST_KEY), (EMPTY_BEFORE, EMPTY_FROM_KEY)):
        if short in entry:
            before = entry[short]
            long[key] = watermark - before if _number(watermark) and _number(before) else before
    if LAG in entry:
        long[LAG_KEY] = entry[LAG]
    return long


def _number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
