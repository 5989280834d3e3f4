"""Cursor and state math: small pure functions, plus the CDK state converter they plug into.

State of a stream is `{"timestamp": <epoch ms>}` (what Airbyte's older connector writes too) and means:
every event whose timestamp is below the value has been emitted. Time windows are half-open
`[start, end)` in epoch milliseconds, so the end of the first contiguous run of finished windows is
exactly that value.
"""

from __future__ import annotations

import math
import time
from collections.abc import MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

from airbyte_cdk.sources.streams.concurrent.state_converters.datetime_stream_state_converter import (
    DateTimeStreamStateConverter,
)

CURSOR_FIELD = "timestamp"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)
DAY_MS = 24 * 3600 * 1000
# PutLogEvents accepts events timestamped up to 14 days before "now", so a log group can hold events
# up to 14 days older than its own creation time.
MAX_BACKDATE_MS = 14 * DAY_MS
# Window planning: aim for windows of about this much stored data, never shorter than a minute.
TARGET_WINDOW_BYTES = 128 * 1024 * 1024
MIN_WINDOW_MS = 60_000
MAX_WINDOWS_PER_STREAM = 256


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def ms_to_datetime(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)


def datetime_to_ms(value: datetime) -> int:
    return (value - EPOCH) // ONE_MS  # integer math: no float rounding


def iso_utc(ms: int) -> str:
    """`2026-11-22T07:10:13.042Z` for epoch milliseconds."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


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


def read_end_ms(at_ms: int, ingestion_delay_seconds: int) -> int:
    """A sync reads only up to now minus the ingestion delay (exclusive)."""
    return at_ms - ingestion_delay_seconds * 1000


def window_length_ms(range_ms: int, stored_bytes: int | None, retained_span_ms: int) -> int:
    """Length of the time windows a stream's range is split into.

    `storedBytes` covers the whole group; assume it is spread evenly over the span it can hold, and size
    the windows so each holds about TARGET_WINDOW_BYTES. A small group is one window (one call per sync);
    a large one gets windows that are read in parallel and checkpointed one by one.
    """
    if range_ms <= 0:
        return MIN_WINDOW_MS
    share = min(1.0, range_ms / retained_span_ms) if retained_span_ms > 0 else 1.0
    estimated_bytes = (stored_bytes or 0) * share
    windows = min(MAX_WINDOWS_PER_STREAM, max(1, math.ceil(estimated_bytes / TARGET_WINDOW_BYTES)))
    return max(MIN_WINDOW_MS, math.ceil(range_ms / windows))


class EpochMillisStateConverter(DateTimeStreamStateConverter):
    """The CDK's epoch converter works in seconds; CloudWatch timestamps are milliseconds.

    Windows are half-open, so two windows are contiguous when one ends where the next starts, and the
    stream's state is the end of the first contiguous run (not the newest record seen, which is what the
    CDK reports by default and which would re-emit that record's millisecond on every sync).
    """

    _zero_value = 0

    def increment(self, timestamp: datetime) -> datetime:
        # Used only to decide whether two intervals touch; half-open intervals touch without a gap.
        return timestamp

    def output_format(self, timestamp: datetime) -> int:
        return datetime_to_ms(timestamp)

    def parse_timestamp(self, timestamp: Any) -> datetime:
        if isinstance(timestamp, bool) or not isinstance(timestamp, int):
            raise ValueError(f"expected epoch milliseconds as an integer, got {timestamp!r}")
        return ms_to_datetime(timestamp)

    def _get_latest_complete_time(self, slices: list[MutableMapping[str, Any]]) -> Any:
        # Overrides a private CDK hook (see the class docstring); unit_tests/test_state.py pins the behaviour.
        return self.merge_intervals(slices)[0][self.END_KEY]


# Incoming state: what the platform (or a user) hands over, made usable. ---------------------------------

EARLIEST_PLAUSIBLE_MS = 946_684_800_000  # 2000-01-01: a "seconds" value times 1000 lands after this


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


def usable_position(stream_state: Any, at_ms: int) -> tuple[int | None, str | None]:
    """The stream's state position in epoch ms (None when unusable) and what to tell the user about it."""
    if not isinstance(stream_state, dict) or CURSOR_FIELD not in stream_state:
        return None, f"it has no `{CURSOR_FIELD}`"
    value = stream_state[CURSOR_FIELD]
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None, f"its `{CURSOR_FIELD}` is not a number"
    position = int(value)
    if position < 0:
        return None, f"its `{CURSOR_FIELD}` {position} is negative"
    if position < EARLIEST_PLAUSIBLE_MS <= position * 1000 <= at_ms:  # seconds, as some tools write epochs
        return position * 1000, (
            f"its `{CURSOR_FIELD}` {position} looks like epoch seconds; it was read as {position * 1000} ms "
            f"({iso_utc(position * 1000)})"
        )
    if position > at_ms:
        return None, f"its `{CURSOR_FIELD}` {position} ({iso_utc(position)}) is in the future"
    return position, None
