"""State: what a stream's state means, and which incoming states are usable (the time ranges a state leads to
are ranges.py's).

State of a stream is `{"timestamp": <epoch ms>}` (what Airbyte's older connector writes too) and means:
every event whose timestamp is below the value has been emitted (the watermark). Optional keys next to it say
where the next sync must re-read from: `newest_event_timestamp`, the newest event emitted below the watermark;
`empty_from`, for a stream that has shown no event yet, where its reading began (everything from there to the
watermark was read and empty, so whatever is there now arrived late); and `ingestion_lag_ms`, the stream's
learned ingestion lag (lookback.py); `swept_at` and `swept_ingested_to`, when the late-event sweep last covered
the stream and up to which ingestion time (sweep.py; absent: never swept). The next sync re-reads from the newest event, or from `empty_from`, at the
latest: the quiet stretch after them holds only late arrivals (test: unit_tests/test_state.py,
integration_tests/test_late_events.py::test_back_fills_into_a_group_empty_at_the_previous_sync_are_delivered). Time windows are half-open
`[start, end)` in epoch milliseconds, so the end of the first contiguous run of finished windows is exactly the
watermark (`cursor.py` keeps it).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from airbyte_cdk.models import AirbyteStateMessage, AirbyteStateMessageSerializer

from source_cloudwatch_logs.aws.times import iso_utc
from source_cloudwatch_logs.group_warnings import listed_groups
from source_cloudwatch_logs.records import CURSOR_FIELD


def now_ms() -> int:
    return time.time_ns() // 1_000_000


# Incoming state: what the platform (or a user) hands over, made usable. ---------------------------------

NEWEST_KEY = "newest_event_timestamp"
EMPTY_FROM_KEY = "empty_from"
LAG_KEY = "ingestion_lag_ms"
SWEPT_AT_KEY = "swept_at"  # when the late-event sweep last covered the stream (sweep.py)
SWEPT_TO_KEY = "swept_ingested_to"  # the ingestion time from which the next sweep looks (sweep.StreamSweep.marked)


@dataclass(frozen=True)
class StreamPosition:
    """A stream's state: its watermark, the newest event emitted below it (None: not known, as in states
    written by 0.1.0 or the older connector, or none yet), where reading began while no event has been seen
    (`empty_from_ms`, only without a newest event; None: not known), and its learned ingestion lag."""

    watermark_ms: int
    newest_ms: int | None = None
    lag_ms: int = 0
    empty_from_ms: int | None = None
    swept_at_ms: int | None = None  # None: never swept (states before the sweep, or not swept yet)
    swept_to_ms: int | None = None

    def as_state(self) -> dict[str, int]:
        state = {CURSOR_FIELD: self.watermark_ms}
        if self.newest_ms is not None:
            state[NEWEST_KEY] = self.newest_ms
        elif self.empty_from_ms is not None and self.empty_from_ms < self.watermark_ms:
            state[EMPTY_FROM_KEY] = self.empty_from_ms
        if self.lag_ms:  # 0 and absent mean the same: no lag learned
            state[LAG_KEY] = self.lag_ms
        if self.swept_at_ms is not None and self.swept_to_ms is not None:
            state[SWEPT_AT_KEY], state[SWEPT_TO_KEY] = self.swept_at_ms, self.swept_to_ms
        return state


EARLIEST_PLAUSIBLE_MS = 946_684_800_000  # 2000-01-01: a "seconds" value times 1000 lands after this
# Units an epoch may have been written in, and how many of them make a millisecond (0: a second is 1000 ms).
EPOCH_UNITS = (("seconds", 0), ("microseconds", 1_000), ("nanoseconds", 1_000_000))


@dataclass(frozen=True)
class IncomingState:
    """The raw state of each stream, from whatever the platform or a user handed over, and a warning for each
    part that could not be used. Whether a stream's state is usable is decided per stream (`usable_position`)."""

    positions: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, state: Any) -> IncomingState:
        """From a state document (as read from a file) or the CDK's state messages."""
        if isinstance(state, IncomingState):
            return state
        if isinstance(state, list):
            state = [AirbyteStateMessageSerializer.dump(m) if isinstance(m, AirbyteStateMessage) else m for m in state]
        positions, warnings = state_positions(state)
        return cls(positions=positions, warnings=warnings)


def state_positions(document: Any) -> tuple[dict[str, Any], list[str]]:
    """Per-stream raw states from any shape a state file may have, and a warning for each part not used.

    Shapes: a list of STREAM messages (today's protocol), LEGACY messages (`data` maps stream to state),
    GLOBAL messages (`stream_states`), and the bare legacy object `{"<stream>": {"timestamp": ...}}`.
    """
    if document is None or document == [] or document == {}:
        return {}, []
    if isinstance(document, dict) and "type" not in document:
        return dict(document), ["The state is in the legacy single-object shape; it was converted per stream."]
    messages = document if isinstance(document, list) else [document]
    positions: dict[str, Any] = {}
    warnings: list[str] = []
    for index, message in enumerate(messages):
        kind = message.get("type") if isinstance(message, dict) else None
        if kind == "STREAM" or (isinstance(message, dict) and kind is None and "stream" in message):
            stream = message.get("stream") or {}
            name = (stream.get("stream_descriptor") or {}).get("name")
            if isinstance(name, str):
                positions[name] = stream.get("stream_state")
                continue
        elif kind == "LEGACY" and isinstance(message.get("data"), dict):
            positions.update(message["data"])
            warnings.append("The state has a LEGACY message; it was converted per stream.")
            continue
        elif kind == "GLOBAL" and isinstance((message.get("global") or {}).get("stream_states"), list):
            for entry in message["global"]["stream_states"]:
                name = ((entry or {}).get("stream_descriptor") or {}).get("name")
                if isinstance(name, str):
                    positions[name] = entry.get("stream_state")
            warnings.append("The state has a GLOBAL message; its stream states were used per stream.")
            continue
        warnings.append(f"State entry {index} has an unknown shape and was ignored.")
    return positions, warnings


def usable_position(stream_state: Any, at_ms: int) -> tuple[StreamPosition | None, str | None]:
    """The stream's state (None when unusable) and what to tell the user about it.

    A watermark after `at_ms` (the sync's "now") is kept: the stream reads nothing until time catches up. The
    optional keys are read in the watermark's unit; one that does not fit is dropped (the watermark stays).
    """
    if not isinstance(stream_state, dict) or CURSOR_FIELD not in stream_state:
        return None, f"it has no `{CURSOR_FIELD}`"
    position = _integer(stream_state[CURSOR_FIELD])
    if position is None:
        return None, f"its `{CURSOR_FIELD}` is not a number"
    if position < 0:
        return None, f"its `{CURSOR_FIELD}` {position} is negative"
    problems: list[str] = []
    scale: tuple[int, int] = (1, 1)  # multiply, then divide: the watermark's unit to milliseconds
    watermark = position
    for unit, per_ms in EPOCH_UNITS:  # seconds, micro- or nanoseconds, as some tools write epochs
        candidate_scale = (1000, 1) if per_ms == 0 else (1, per_ms)
        ms = position * candidate_scale[0] // candidate_scale[1]
        if (position < EARLIEST_PLAUSIBLE_MS or position > at_ms) and EARLIEST_PLAUSIBLE_MS <= ms <= at_ms:
            scale, watermark = candidate_scale, ms
            problems.append(
                f"its `{CURSOR_FIELD}` {position} looks like epoch {unit}; it was read as {ms} ms ({iso_utc(ms)})"
            )
            break
    else:
        if position > at_ms:  # a state from the future: nothing is new yet (Airbyte's acceptance tests require it)
            problems.append(
                f"its `{CURSOR_FIELD}` {position} ({iso_utc(position)}) is in the future: nothing is read for it and "
                "the state is kept"
            )
    newest: int | None = None
    if NEWEST_KEY in stream_state:
        raw = _integer(stream_state[NEWEST_KEY])
        newest = None if raw is None else raw * scale[0] // scale[1]
        if newest is None or not 0 <= newest < watermark:
            problems.append(f"its `{NEWEST_KEY}` is not a number below `{CURSOR_FIELD}`; it was ignored")
            newest = None
    empty_from: int | None = None
    if EMPTY_FROM_KEY in stream_state and newest is None:
        raw = _integer(stream_state[EMPTY_FROM_KEY])
        empty_from = None if raw is None else raw * scale[0] // scale[1]
        if empty_from is None or not 0 <= empty_from < watermark:
            problems.append(
                f"its `{EMPTY_FROM_KEY}` is not a number below `{CURSOR_FIELD}`; it was read as 0 (the stream's "
                "start): what was read before is read again"
            )
            empty_from = 0  # the safe reading: re-read from the stream's start rather than risk a late event
    lag = _integer(stream_state.get(LAG_KEY, 0))
    if lag is None or lag < 0:
        problems.append(f"its `{LAG_KEY}` is not a number of milliseconds; it was ignored")
        lag = 0
    swept_at, swept_to = (_integer(stream_state.get(key)) for key in (SWEPT_AT_KEY, SWEPT_TO_KEY))
    if swept_at is None or swept_to is None or swept_at < 0 or swept_to < 0:
        if SWEPT_AT_KEY in stream_state or SWEPT_TO_KEY in stream_state:
            problems.append(
                f"its `{SWEPT_AT_KEY}` and `{SWEPT_TO_KEY}` are not both epoch milliseconds; the stream counts as "
                "never swept for late events"
            )
        swept_at = swept_to = None
    usable = StreamPosition(
        watermark_ms=watermark,
        newest_ms=newest,
        lag_ms=lag,
        empty_from_ms=empty_from,
        swept_at_ms=swept_at,
        swept_to_ms=swept_to,
    )
    return usable, "; ".join(problems) or None


GROUPS_KEY = "log_groups"  # a merged stream's state: each log group's own state (merged.py)


def usable_group_positions(
    stream_state: Any, groups: Iterable[str], at_ms: int
) -> tuple[dict[str, StreamPosition | None], list[str]]:
    """A merged stream's state: the usable position of each of its log groups now (None: start from the start),
    and what to tell the user (entries that are unusable, or whose group is gone and which are dropped)."""
    groups = list(groups)
    if not isinstance(stream_state, dict) or not stream_state:
        return dict.fromkeys(groups), []
    entries = stream_state.get(GROUPS_KEY)
    problems: list[str] = []
    if not isinstance(entries, dict):  # the older shape of one group: every group starts there
        if entries is not None:  # the top-level timestamp is the lowest group's: resuming there loses nothing
            problems.append(
                f"its `{GROUPS_KEY}` is not an object of log group states; every log group resumes from the "
                f"stream's `{CURSOR_FIELD}`, re-reading what some had read"
            )
        position, problem = usable_position(stream_state, at_ms)
        if problem:
            problems.append(f"its state ({problem})")
        return dict.fromkeys(groups, position), problems
    positions: dict[str, StreamPosition | None] = {}
    for group in groups:
        entry = entries.get(group)
        position, problem = usable_position(entry, at_ms) if entry is not None else (None, None)
        if problem:
            problems.append(
                f"log group '{group}': {problem}" + ("; it starts from its beginning" if position is None else "")
            )
        positions[group] = position
    gone = sorted(set(entries) - set(groups))
    if len(gone) == 1:
        problems.append(f"log group '{gone[0]}' no longer exists (or no longer matches): its position is dropped")
    elif gone:  # one line for them all (group_warnings.py)
        problems.append(
            f"{len(gone)} log groups no longer exist (or no longer match), their positions are dropped: "
            f"{listed_groups(gone)}"
        )
    return positions, problems


def _integer(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)
