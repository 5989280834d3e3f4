"""A time window read with Logs Insights, as pages of events shaped like FilterLogEvents' (or a report's rows).

Reading `[start, end)`: one query for the whole window, ascending by time. When `recordsMatched` says rows were
cut, every event before the last row's millisecond is complete: those go, and the next query starts at that
millisecond. A millisecond holding more events than one query returns is read log stream by log stream (a
`stats` query counts each log stream's events there first); only a single log stream holding more than a
query's rows in one millisecond cannot be read, and fails the stream with a message saying so.

Every answer is verified before it is relied on (an answer that is not is an `errors.UnexpectedAnswer` naming the
stream, a SYSTEM fault, and nothing of it is delivered): event rows carry `@timestamp`, `@logStream` and `@ingestionTime`, lie in the window
(and log stream) asked, and come in ascending time order, as the query sorts them; a cut answer has rows; the
per-log-stream count is a real count (exactly `@logStream` and the count, each log stream once, positive whole
counts adding up to at least the events the millisecond already returned and those it says matched, not cut,
and at most MAX_CROWDED_LOG_STREAMS log streams), so the queries that follow it are bounded by what it counted.

Report rows become records through queries.report_shape: a report field named like a column the source reserves
(`InsightsSource.reserved`: the connector's own columns) lands in its own `query_<name>` column, never over it.

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
from typing import TYPE_CHECKING

from source_cloudwatch_logs.aws.errors import Action, UnexpectedAnswer, UnreadableMillisecond
from source_cloudwatch_logs.aws.insights import LogsInsights, QueryResult, QuerySpec
from source_cloudwatch_logs.aws.queries import (
    COUNT_FIELD,
    EVENT_COLUMNS,
    KEY_FIELDS,
    NOTHING_RESERVED,
    ReservedColumns,
    quoted,
    report_shape,
    streams_query,
    window_query,
)
from source_cloudwatch_logs.aws.times import iso_utc

if TYPE_CHECKING:
    from source_cloudwatch_logs.aws.windows import Readers

Event = dict[str, object]
MAX_CROWDED_LOG_STREAMS = 1_000  # log streams one millisecond may hold: each costs a query of its own


@dataclass(frozen=True)
class InsightsSource:
    """What one stream asks Logs Insights: its log groups (names or ARNs) and, for a report, its query."""

    groups: tuple[str, ...]
    report_query: str | None = None
    numeric: frozenset[str] = frozenset()  # report columns declared as numbers
    reserved: ReservedColumns = NOTHING_RESERVED  # record columns a report field may not take (queries.py)

    def source(self, readers: Readers, *, stream: str, setting: str | None) -> InsightsWindows:
        return InsightsWindows(events=readers.insights, selection=self, stream=stream, setting=setting)


class InsightsEvents:
    def __init__(self, *, insights: LogsInsights, scanned: Callable[[str, int], None] = lambda stream, b: None) -> None:
        self._insights = insights
        self._scanned = scanned  # (stream, bytes scanned by one query): the cost, for progress lines

    def stop_all(self) -> None:
        """Stop this sync's queries that still run (its end, or its failure)."""
        self._insights.stop_all()

    def probe(self, source: InsightsSource, at_s: int) -> None:
        """The window query of the second `at_s`, started and stopped at once: AWS checks its syntax and the log
        groups when it starts. Raises the API's error as is."""
        text = window_query(source.report_query, at_s * 1000, at_s * 1000 + 1000)
        self._insights.start_only(QuerySpec(groups=source.groups, text=text, start_s=at_s, end_s=at_s, limit=1))

    def window(
        self, source: InsightsSource, start: int, end: int, *, stream: str, field: str | None = None
    ) -> Iterator[list[Event]]:
        at = start
        while at < end:
            result = self._run(source, window_query(source.report_query, at, end), at, end, stream, field)
            asked = f"the query of {iso_utc(at)} to {iso_utc(end)}"
            events = self._events(result, source, at, end, stream, asked)
            if not result.truncated:
                yield self._keyed(events, source)
                return
            if not events:
                raise _unexpected(
                    stream, f"{asked} with no row although it says {result.records_matched} events matched"
                )
            last = _time(events[-1])
            if last > at:
                yield self._keyed([event for event in events if _time(event) < last], source)
                at = last
            else:
                yield from self._crowded(source, at, len(events), stream, field)
                at += 1

    def _crowded(
        self, source: InsightsSource, at: int, returned: int, stream: str, field: str | None
    ) -> Iterator[list[Event]]:
        """One millisecond, read log stream by log stream (`returned`: the events one query returned there)."""
        counts = self._run(source, streams_query(at, source.report_query), at, at + 1, stream, field)
        per_stream = _counts(counts, at, returned, stream)
        for log_stream in per_stream:
            query = window_query(source.report_query, at, at + 1, narrow=f"@logStream = {quoted(log_stream)}")
            result = self._run(source, query, at, at + 1, stream, field)
            asked = f"the query of log stream '{log_stream}' in the millisecond {iso_utc(at)}"
            events = self._events(result, source, at, at + 1, stream, asked, log_stream=log_stream)
            if result.truncated:
                raise UnreadableMillisecond(
                    f"Stream '{stream}': log stream '{log_stream}' holds {result.records_matched} events "
                    f"in the one millisecond {iso_utc(at)}, more than one Logs Insights query returns "
                    f"({len(result.rows)}), so they cannot all be read. Read this log group with a narrower "
                    "custom report query, or move it to the STANDARD class.",
                    internal_message="one log stream's millisecond holds more events than a query returns",
                )
            yield self._keyed(events, source)

    def _events(
        self,
        result: QueryResult,
        source: InsightsSource,
        start: int,
        end: int,
        stream: str,
        asked: str,
        log_stream: str | None = None,
    ) -> list[Event]:
        """The rows as events, verified: each with the fields a record needs, in `[start, end)` (and `log_stream`),
        in ascending time order."""
        events: list[Event] = []
        previous = start
        for row in result.rows:
            missing = [name for name in KEY_FIELDS if not row.get(name)]
            if missing:
                fields = ", ".join(name for name in row if name != "@ptr")
                raise _unexpected(stream, f"{asked} with a row without {', '.join(missing)} (its fields: {fields})")
            try:
                event = self._event(row, source)
            except (ValueError, IndexError):
                problem = "@timestamp" if _unreadable(row["@timestamp"]) else "@ingestionTime"
                raise _unexpected(
                    stream, f"{asked} with a row whose {problem} {row[problem]!r} is not a time"
                ) from None
            timestamp = _time(event)
            if not start <= timestamp < end:
                raise _unexpected(stream, f"{asked} with a row of {iso_utc(timestamp)}, outside the window asked")
            if timestamp < previous:
                raise _unexpected(
                    stream,
                    f"{asked} with a row of {iso_utc(timestamp)} after one of {iso_utc(previous)}, although the "
                    "query sorts them in ascending time order: the answer cannot be relied on to hold the window's "
                    "first events",
                )
            if log_stream is not None and event["logStreamName"] != log_stream:
                raise _unexpected(stream, f"{asked} with a row of log stream '{event['logStreamName']}'")
            previous = timestamp
            events.append(event)
        return events

    def _run(
        self, source: InsightsSource, text: str, start: int, end: int, stream: str, field: str | None
    ) -> QueryResult:
        spec = QuerySpec(groups=source.groups, text=text, start_s=start // 1000, end_s=(end - 1) // 1000)
        result = self._insights.run(spec, stream=stream, log_group=", ".join(source.groups), field=field)
        self._scanned(stream, result.bytes_scanned)
        return result

    @staticmethod
    def _event(row: dict[str, str], source: InsightsSource) -> Event:
        """A row as an event: the event's own fields in the shared columns, a report's fields in the columns
        queries.report_shape gives them (numbers typed)."""
        event: Event = {
            "timestamp": insights_ms(row["@timestamp"]),
            "logStreamName": row["@logStream"],
            "ingestionTime": insights_ms(row["@ingestionTime"]),
        }
        shape = report_shape(source.report_query, source.reserved) if source.report_query else None
        for name, value in row.items():
            if name in KEY_FIELDS or name == "@ptr":
                continue
            column = shape.column(name) if shape is not None else EVENT_COLUMNS.get(name, name)
            event[column] = _number(value) if column in source.numeric else value
        return event

    @staticmethod
    def _keyed(events: list[Event], source: InsightsSource) -> list[Event]:
        seen: Counter[str] = Counter()
        group = "\x1f".join(source.groups)
        for event in events:
            content = "\x1f".join(f"{k}={v}" for k, v in sorted(event.items()))
            digest = hashlib.blake2b(
                f"{group}\x1e{content}".encode("utf-8", "surrogatepass"), digest_size=16
            ).hexdigest()
            n = seen[digest]
            seen[digest] += 1
            event["eventId"] = f"{digest}-{n}" if n else digest
        return events


@dataclass(frozen=True)
class InsightsWindows:
    """A stream's windows read with Logs Insights (windows.WindowSource): held back by the concurrent-query
    limit (insights.LogsInsights), not by the FilterLogEvents quota."""

    events: InsightsEvents
    selection: InsightsSource
    stream: str
    setting: str | None = None
    action = Action.START_QUERY
    paced = False

    def read(self, start_ms: int, end_ms: int) -> Iterator[list[Event]]:
        return self.events.window(self.selection, start_ms, end_ms, stream=self.stream, field=self.setting)

    def probe(self, at_s: int) -> None:
        self.events.probe(self.selection, at_s)


def _counts(result: QueryResult, at: int, returned: int, stream: str) -> dict[str, int]:
    """The per-log-stream counts of one millisecond, verified to be a real, complete `stats` answer."""
    asked = f"the count of events per log stream in the millisecond {iso_utc(at)}"
    expected = {"@logStream", COUNT_FIELD}
    counts: dict[str, int] = {}
    for row in result.rows:
        fields = [name for name in row if name != "@ptr"]
        if set(fields) != expected:
            raise _unexpected(
                stream, f"{asked} with a row of the fields {', '.join(fields)} instead of @logStream and {COUNT_FIELD}"
            )
        log_stream, count = row["@logStream"], row[COUNT_FIELD]
        if not log_stream or log_stream in counts:
            raise _unexpected(stream, f"{asked} with log stream '{log_stream}' twice")
        if not count.isdigit() or int(count) < 1:
            raise _unexpected(stream, f"{asked} with a count {count!r} that is not a positive whole number")
        counts[log_stream] = int(count)
    if len(counts) >= result.limit:
        raise _unexpected(stream, f"{asked} with {len(counts)} rows, as many as a query returns: it may be cut")
    total = sum(counts.values())
    if total < returned:
        raise _unexpected(
            stream,
            f"{asked} with counts adding up to {total}, fewer than the {returned} events it already returned there",
        )
    # Each count is at least 1, so a whole answer passes whether recordsMatched counts events or rows.
    if total < result.records_matched:
        raise _unexpected(
            stream,
            f"{asked} with counts adding up to {total}, fewer than the {result.records_matched} events it says "
            "matched: it is cut",
        )
    if len(counts) > MAX_CROWDED_LOG_STREAMS:
        raise UnreadableMillisecond(
            f"Stream '{stream}': the one millisecond {iso_utc(at)} holds more events than one Logs Insights "
            f"query returns, in {len(counts)} log streams; reading them takes a query per log stream, more than "
            f"the {MAX_CROWDED_LOG_STREAMS} allowed. Read this log group with a narrower custom report query, or "
            "move it to the STANDARD class.",
            internal_message="too many log streams in one crowded millisecond",
        )
    return counts


def _unexpected(stream: str, answered: str) -> UnexpectedAnswer:
    """An answer that breaks what the query asked for: nothing of it is delivered."""
    return UnexpectedAnswer(
        f"Stream '{stream}': Logs Insights answered {answered}, so none of it is delivered. Run the sync "
        "again; if this persists, the endpoint does not answer Logs Insights queries as AWS documents (check "
        "endpoint_url) or the connector composed a wrong query: report it.",
        internal_message="an unexpected Logs Insights answer",
    )


def _unreadable(text: str) -> bool:
    try:
        insights_ms(text)
    except (ValueError, IndexError):
        return True
    return False


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
