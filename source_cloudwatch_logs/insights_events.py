"""A time window read with Logs Insights, as pages of events shaped like FilterLogEvents' (or a report's rows).

Reading `[start, end)`: one query for the whole window, ascending by time. When `recordsMatched` says rows were
cut, every event before the last row's millisecond is complete: those go, and the next query starts at that
millisecond. A millisecond holding more events than one query returns is read log stream by log stream (a
`stats` query counts each log stream's events there first); only a single log stream holding more than a
query's rows in one millisecond cannot be read, and fails the stream with a message saying so.

Primary key: Insights' `@ptr` is a pointer for GetLogRecord, with no promise that it stays the same across
queries, so it is not used. `eventId` is a digest of the log group, the event's time, log stream, ingestion time
and content (a report: every field it returns), plus `-<n>` for the n-th identical event in that millisecond.
Every millisecond is always read whole, in one answer, so the same event gets the same key on every read.
Limit: a report whose fields leave out what distinguishes two events in one millisecond and log stream gives
them keys by their order, which is the same only as long as no identical event is added to that millisecond.
"""

from __future__ import annotations

import calendar
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.insights import LogsInsights, QueryResult, QuerySpec
from source_cloudwatch_logs.queries import EVENT_COLUMNS, KEY_FIELDS, quoted, streams_query, window_query
from source_cloudwatch_logs.state import iso_utc

Event = dict[str, object]


@dataclass(frozen=True)
class InsightsSource:
    """What one stream asks Logs Insights: its log groups (names or ARNs) and, for a report, its query."""

    groups: tuple[str, ...]
    report_query: str | None = None
    numeric: frozenset[str] = frozenset()  # report columns declared as numbers


class InsightsEvents:
    def __init__(self, *, insights: LogsInsights, scanned: Callable[[str, int], None] = lambda stream, b: None) -> None:
        self._insights = insights
        self._scanned = scanned  # (stream, bytes scanned by one query): the cost, for progress lines

    def stop_all(self) -> None:
        """Stop this sync's queries that still run (its end, or its failure)."""
        self._insights.stop_all()

    def window(
        self, source: InsightsSource, start: int, end: int, *, stream: str, field: str | None = None
    ) -> Iterator[list[Event]]:
        at = start
        while at < end:
            result = self._run(source, window_query(source.report_query, at, end), at, end, stream, field)
            events = sorted((self._event(row, source) for row in result.rows), key=_time)
            if not result.truncated:
                yield self._keyed(events, source)
                return
            last = _time(events[-1]) if events else at
            if last > at:
                yield self._keyed([event for event in events if _time(event) < last], source)
                at = last
            else:
                yield from self._crowded(source, at, stream, field)
                at += 1

    def _crowded(self, source: InsightsSource, at: int, stream: str, field: str | None) -> Iterator[list[Event]]:
        """One millisecond, read log stream by log stream."""
        counts = self._run(source, streams_query(at, source.report_query), at, at + 1, stream, field)
        for row in counts.rows:
            log_stream = row.get("@logStream", "")
            query = window_query(source.report_query, at, at + 1, narrow=f"@logStream = {quoted(log_stream)}")
            result = self._run(source, query, at, at + 1, stream, field)
            if result.truncated:
                raise AirbyteTracedException(
                    message=f"Stream '{stream}': log stream '{log_stream}' holds {result.records_matched} events "
                    f"in the one millisecond {iso_utc(at)}, more than one Logs Insights query returns "
                    f"({len(result.rows)}), so they cannot all be read. Read this log group with a narrower "
                    "custom report query, or move it to the STANDARD class.",
                    internal_message="one log stream's millisecond holds more events than a query returns",
                    failure_type=FailureType.system_error,
                )
            yield self._keyed([self._event(r, source) for r in result.rows], source)

    def _run(
        self, source: InsightsSource, text: str, start: int, end: int, stream: str, field: str | None
    ) -> QueryResult:
        spec = QuerySpec(groups=source.groups, text=text, start_s=start // 1000, end_s=(end - 1) // 1000)
        result = self._insights.run(spec, stream=stream, log_group=", ".join(source.groups), field=field)
        self._scanned(stream, result.bytes_scanned)
        return result

    @staticmethod
    def _event(row: dict[str, str], source: InsightsSource) -> Event:
        event: Event = {
            "timestamp": insights_ms(row.get("@timestamp", "")),
            "logStreamName": row.get("@logStream", ""),
            "ingestionTime": insights_ms(row["@ingestionTime"]) if row.get("@ingestionTime") else None,
        }
        for name, value in row.items():
            if name in KEY_FIELDS or name == "@ptr":
                continue
            column = EVENT_COLUMNS.get(name, name)
            event[column] = _number(value) if column in source.numeric else value
        return event

    @staticmethod
    def _keyed(events: list[Event], source: InsightsSource) -> list[Event]:
        seen: Counter[str] = Counter()
        group = "\x1f".join(source.groups)
        for event in events:
            content = "\x1f".join(f"{k}={v}" for k, v in sorted(event.items()))
            digest = hashlib.blake2b(f"{group}\x1e{content}".encode(), digest_size=16).hexdigest()
            n = seen[digest]
            seen[digest] += 1
            event["eventId"] = f"{digest}-{n}" if n else digest
        return events


def _time(event: Event) -> int:
    timestamp = event["timestamp"]
    assert isinstance(timestamp, int)
    return timestamp


_SECONDS: dict[str, int] = {}


def insights_ms(text: str) -> int:
    """`2026-11-30 19:40:26.123` (UTC, how Insights writes times) as epoch milliseconds."""
    second = text[:19]
    seconds = _SECONDS.get(second)
    if seconds is None:
        seconds = calendar.timegm(
            (int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]), int(text[17:19]))
        )
        if len(_SECONDS) > 100_000:
            _SECONDS.clear()
        _SECONDS[second] = seconds
    fraction = text[20:23] if len(text) > 20 else "0"
    return seconds * 1000 + int(fraction.ljust(3, "0"))


def _number(value: str) -> int | float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number.is_integer() and "." not in value and "e" not in value.lower() else number
