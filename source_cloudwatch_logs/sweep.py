"""The late-event sweep: Logs Insights finds events that arrived later than the lookback covers, and they are read
again with the stream's own reader, so they keep their eventId.

FilterLogEvents selects by timestamp only, so the lookback (lookback.py) covers the lags a stream has shown; an
event later than that, below events already delivered, would be lost. Every `late_sweep_interval_hours` (0: every
sync) a stream with state is swept: one Logs Insights query per 50 log groups (aws/sweep_query.py) asks which log
streams hold events
- with a timestamp in `[now - late_sweep_span_hours, resume)` (`resume`: where this sync's windows begin, so a
  range the lookback re-reads anyway is not read twice, and no event is emitted twice in one sync),
- ingested since the stream's `swept_ingested_to`: the previous sweep's time less VISIBILITY_MARGIN_MS (how long
  Insights may take to see an event), or the time of the stream's first read (its windows, all read after it, saw
  every event ingested before it); never swept: since `now - span`, not all history,
- later than `ingestion_delay_seconds + lookback_window_seconds` after their timestamp: an event less late was
  visible to the last sync whose windows covered its timestamp (the next sync resumes at least that much behind
  that sync's end), so only later ones can have been missed.
Each answer row (a log stream, its late events' first and last timestamps) is read again as a partition of the
stream: FilterLogEvents with `logStreamNames` (at most MAX_LOG_STREAMS a call); a stream read with Logs Insights
(Infrequent Access, query reports) reads the merged ranges with its own reader.

State: each stream's state keeps `swept_at` and `swept_ingested_to` (state.py); they move to this sync's clock
only once every re-read of the stream has finished (`StreamSweep.marked`), so a crash mid-sweep sweeps the same
ingestion window again. A sweep that cannot run (no `logs:StartQuery`/`logs:GetQueryResults` permission, a query
that failed) warns once, the sync goes on, and the marks stay. Cost: ceil(groups / 50) queries, each scanning the
bytes its groups store in the span (billed per GB: PRICE_PER_GB_SCANNED_USD), plus re-reads proportional to the
late data found. Guarantee: with the sweep on, an event whose lag is below span minus interval is delivered.

Tests: unit_tests/test_sweep.py, integration_tests/test_sweep.py.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from airbyte_cdk.models import AirbyteMessage, Level
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record, StreamSlice

from source_cloudwatch_logs.aws.client import LogsClient
from source_cloudwatch_logs.aws.errors import Action, AwsError
from source_cloudwatch_logs.aws.insights import LogsInsights
from source_cloudwatch_logs.aws.log_events import FilterLogEventsWindows
from source_cloudwatch_logs.aws.sweep_query import LateStream, SweepTarget, find_late, probe
from source_cloudwatch_logs.aws.windows import Event, WindowSource
from source_cloudwatch_logs.cursor import END_KEY, START_KEY
from source_cloudwatch_logs.progress import log
from source_cloudwatch_logs.state import StreamPosition, iso_utc
from source_cloudwatch_logs.streams import LogEventsPartition, StreamContext

if TYPE_CHECKING:
    from source_cloudwatch_logs.discovery import StreamDefinition
    from source_cloudwatch_logs.spec import CloudWatchLogsConfig

HOUR_MS = 3_600_000
VISIBILITY_MARGIN_MS = 15 * 60_000  # how long Logs Insights may take to see an ingested event (not documented)
MAX_LOG_STREAMS = 100  # FilterLogEvents' logStreamNames: 1 to 100 names
# CloudWatch pricing page (https://aws.amazon.com/cloudwatch/pricing/, Logs, "Analyze (Logs Insights queries)":
# $0.005 per GB of data scanned in US East (N. Virginia), read 2026-12); other regions publish similar prices.
PRICE_PER_GB_SCANNED_USD = 0.005
SWEEP_KEY = "late_sweep"  # a re-read partition's slice carries it (its number in the stream)
PERMISSION_ACTIONS = f"{Action.START_QUERY} and {Action.GET_QUERY_RESULTS}"


@dataclass(frozen=True)
class SweepSettings:
    interval_ms: int
    span_ms: int  # 0: the sweep is off
    min_lag_ms: int  # events less late than this were visible to the sync that covered their timestamp

    @classmethod
    def of(cls, config: CloudWatchLogsConfig) -> SweepSettings:
        return cls(
            interval_ms=config.late_sweep_interval_hours * HOUR_MS,
            span_ms=config.late_sweep_span_hours * HOUR_MS,
            min_lag_ms=(config.ingestion_delay_seconds + config.lookback_window_seconds) * 1000,
        )


def due(position: StreamPosition | None, settings: SweepSettings, now_ms: int) -> bool:
    """Whether a stream with this state is swept in a sync at `now_ms`."""
    if settings.span_ms <= 0 or position is None:
        return False
    return position.swept_at_ms is None or now_ms - position.swept_at_ms >= settings.interval_ms


@dataclass
class _Found:
    """What the re-reads of one stream found, counted as they read."""

    events: int = 0
    max_lag_ms: int = 0
    log_streams: set[str] = field(default_factory=set)
    calls: int = 0


class StreamSweep:
    """One stream's sweep in a sync (cursor.SweepMarks): its target, the late log streams the query found, its
    re-read partitions and what they found. `status`: "due" until run, then "swept", or "skipped" with a reason."""

    def __init__(
        self,
        *,
        definition: StreamDefinition,
        target: SweepTarget | None,
        now_ms: int,
        next_ms: int | None,
        margin_ms: int = VISIBILITY_MARGIN_MS,
    ):
        self.definition = definition
        self.margin_ms = margin_ms
        self.target = target  # None: not swept this sync
        self.now_ms = now_ms
        self.next_ms = next_ms  # when it is next due, if not now
        self.status = "due" if target is not None else "not due"
        self.reason = ""
        self.late: list[LateStream] = []
        self.found = _Found()
        self._pending = 0
        self._lock = threading.Lock()

    # cursor.SweepMarks
    def owns(self, partition: Partition) -> bool:
        return isinstance(partition, SweepPartition)

    def partition_done(self, partition: Partition) -> None:
        with self._lock:
            self._pending -= 1

    def marked(self, position: StreamPosition) -> StreamPosition:
        """The position with this sweep's marks once every re-read is done (else as it was)."""
        with self._lock:
            complete = self.status in ("swept", "first read") and self._pending <= 0
        if not complete:
            return position
        # The next sweep looks from `swept_to`. After a query: less the margin Insights may take to see an event.
        # After a first read: from `now`, as every event ingested before it was there for this sync's windows,
        # which were all read after it (re-looking would re-read, say, the history loaded just before).
        swept_to = self.now_ms - self.margin_ms if self.status == "swept" else self.now_ms
        return replace(position, swept_at_ms=self.now_ms, swept_to_ms=swept_to)

    def count(self, events: int, max_lag_ms: int, log_streams: Iterable[str], calls: int) -> None:
        with self._lock:
            self.found.events += events
            self.found.max_lag_ms = max(self.found.max_lag_ms, max_lag_ms)
            self.found.log_streams.update(log_streams)
            self.found.calls += calls

    def partitions(self, context: StreamContext) -> list[SweepPartition]:
        """The stream's re-reads: log streams at most MAX_LOG_STREAMS a FilterLogEvents partition; a stream read
        otherwise (Logs Insights) reads the merged ranges of every late log stream with its own reader."""
        if self.status != "swept" or not self.late or self.target is None:
            return []
        quiet = replace(context, late=context.late.quiet())
        source = context.source
        batches: list[tuple[WindowSource, int, int, list[str]]] = []
        if isinstance(source, FilterLogEventsWindows):
            selected = [late for late in sorted(self.late, key=lambda s: s.first_ms) if _selected(source, late)]
            for i in range(0, len(selected), MAX_LOG_STREAMS):
                chunk = selected[i : i + MAX_LOG_STREAMS]
                names = tuple(sorted({late.log_stream for late in chunk}))
                narrowed = replace(
                    source, query=replace(source.query, log_stream_names=names, log_stream_name_prefix=None)
                )
                start, end = min(s.first_ms for s in chunk), max(s.last_ms for s in chunk) + 1
                batches.append((narrowed, start, end, list(names)))
        else:
            for start, end in _merged((late.first_ms, late.last_ms + 1) for late in self.late):
                batches.append((source, start, end, []))
        with self._lock:
            self._pending = len(batches)
        return [
            SweepPartition(
                replace(quiet, source=_Counted(source=reader)),
                StreamSlice(partition={}, cursor_slice={START_KEY: start, END_KEY: end, SWEEP_KEY: number}),
                sweep=self,
            )
            for number, (reader, start, end, _names) in enumerate(batches)
        ]

    def describe(self) -> str:
        """The stream's finished line's sweep clause."""
        if self.status == "first read":  # read from its start: nothing below it to sweep, nothing to say
            return ""
        if self.status == "not due":
            when = f"; next sweep at or after {iso_utc(self.next_ms)}" if self.next_ms is not None else ""
            return f"; late-event sweep not due{when}"
        if self.status == "skipped":
            return f"; late-event sweep skipped ({self.reason})"
        if self.status != "swept":
            return ""
        found = self.found
        return (
            f"; late-event sweep: {len(found.log_streams)} log streams with {found.events} late events beyond the "
            f"lookback, largest lag {_duration(found.max_lag_ms)}, {found.calls} re-read calls"
        )


def _selected(source: FilterLogEventsWindows, late: LateStream) -> bool:
    """Whether the stream's own selection (a report's log streams or prefix) reads this log stream."""
    query = source.query
    if query.log_stream_names:
        return late.log_stream in query.log_stream_names
    return not query.log_stream_name_prefix or late.log_stream.startswith(query.log_stream_name_prefix)


def _merged(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


@dataclass(frozen=True)
class _Counted:
    """A window source whose pages (one call each) are counted by the partition that reads them."""

    source: WindowSource
    pages: list[int] = field(default_factory=lambda: [0])

    @property
    def action(self) -> Action:
        return self.source.action

    @property
    def paced(self) -> bool:
        return self.source.paced

    def read(self, start_ms: int, end_ms: int) -> Iterator[list[Event]]:
        for page in self.source.read(start_ms, end_ms):
            self.pages[0] += 1
            yield page

    def probe(self, at_s: int) -> None:
        self.source.probe(at_s)


def _duration(ms: int) -> str:
    return f"{ms / HOUR_MS:.1f} h" if ms >= HOUR_MS else f"{ms / 1000:.0f} s"


class SweepPartition(LogEventsPartition):
    """One re-read of late log streams: a window below the stream's range, whose events are counted as the
    sweep's findings (ingested since the sweep's cutoff, later than its least lag) and never teach the lookback."""

    def __init__(self, context: StreamContext, stream_slice: StreamSlice, *, sweep: StreamSweep) -> None:
        super().__init__(context, stream_slice)
        self._sweep = sweep

    def read(self) -> Iterator[Record]:
        self._late_found, self._late_lag = 0, 0
        self._late_streams: set[str] = set()
        yield from super().read()

    def _counted(self) -> None:  # before the window is done: if it is the stream's last, its finished line says it
        source = self._context.source
        calls = source.pages[0] if isinstance(source, _Counted) else 0
        self._sweep.count(self._late_found, self._late_lag, self._late_streams, calls)

    def _records(self, events: list[dict[str, Any]], popping: bool = False) -> Iterator[dict[str, Any]]:
        target = self._sweep.target
        ingested_from = target.ingested_from_ms if target is not None else 0
        min_lag = target.min_lag_ms if target is not None else 0
        for event in super()._records(events, popping):
            timestamp = event["timestamp"]
            lag = event.get("ingestionTime", timestamp) - timestamp
            if lag > min_lag and timestamp + lag >= ingested_from:
                self._late_found += 1
                self._late_lag = max(self._late_lag, lag)
                self._late_streams.add(str(event.get("logStreamName", "")))
            yield event


class Sweep:
    """The sync's sweep: the streams registered as they are built, the queries run once before reading
    (`run`), and the summary line."""

    def __init__(
        self,
        *,
        settings: SweepSettings,
        insights: LogsInsights | None,
        now_ms: int,
        margin_ms: int = VISIBILITY_MARGIN_MS,
    ) -> None:
        self.settings = settings
        self._insights = insights
        self._now_ms = now_ms
        self._margin_ms = margin_ms
        self._streams: list[StreamSweep] = []
        self.queries = 0
        self.bytes_scanned = 0
        self.skipped = ""  # why the sync's sweep did not run, if it did not

    def register(
        self, *, definition: StreamDefinition, position: StreamPosition | None, resume_ms: int, floor_ms: int
    ) -> StreamSweep | None:
        """A stream read by this sync (its state, where its windows begin, the earliest it may read): its sweep,
        or None when the sweep is off."""
        settings, now = self.settings, self._now_ms
        if settings.span_ms <= 0:
            return None
        target = None
        next_ms = None
        if due(position, settings, now):
            assert position is not None
            never_swept_ms = now - settings.span_ms - self._margin_ms
            cutoff = position.swept_to_ms if position.swept_to_ms is not None else never_swept_ms
            group = definition.group
            target = SweepTarget(
                key=definition.name,
                identifier=group.identifier,
                group=group.name,
                account=group.account_id,
                from_ms=max(now - settings.span_ms, floor_ms),
                to_ms=resume_ms,
                ingested_from_ms=cutoff,
                min_lag_ms=settings.min_lag_ms,
            )
        elif position is not None and position.swept_at_ms is not None:
            next_ms = position.swept_at_ms + settings.interval_ms
        sweep = StreamSweep(
            definition=definition, target=target, now_ms=now, next_ms=next_ms, margin_ms=self._margin_ms
        )
        if position is None:  # read from its start after `now`: every event ingested before `now` is read
            sweep.status = "first read"
        self._streams.append(sweep)
        return sweep

    def run(self) -> Iterator[AirbyteMessage]:
        """Run the queries of the due streams (ceil(groups / 50)); a failure is one warning and no sweep."""
        due_streams = [s for s in self._streams if s.target is not None]
        if not due_streams or self._insights is None:
            return
        repository = InMemoryMessageRepository()
        targets = [s.target for s in due_streams if s.target is not None]
        try:
            answer = find_late(self._insights, targets, stream=targets[0].key)
        except AwsError as error:
            denied = "AccessDenied" in error.internal_message
            self.skipped = (
                f"no permission for {PERMISSION_ACTIONS}" if denied else f"Logs Insights failed: {error.message}"
            )
            for stream in due_streams:
                stream.status, stream.reason = "skipped", self.skipped
            hint = (
                f"Allow {PERMISSION_ACTIONS} to the connector's credentials to turn it on, or set "
                "late_sweep_span_hours to 0 to turn it off."
                if denied
                else "The next sync sweeps again the same ingestion window."
            )
            log(
                repository,
                Level.WARN,
                f"The late-event sweep did not run ({self.skipped}): events that arrive later than the lookback "
                f"covers are not looked for in this sync; the sync goes on. {hint}",
            )
            yield from repository.consume_queue()
            return
        self.queries, self.bytes_scanned = answer.queries, answer.bytes_scanned
        by_stream: dict[str, list[LateStream]] = {}
        for late in answer.late:
            by_stream.setdefault(late.key, []).append(late)
        for stream in due_streams:
            stream.status = "swept"
            stream.late = by_stream.get(stream.definition.name, [])

    def summary(self) -> str:
        """The sync summary's line on the sweep."""
        if self.settings.span_ms <= 0:
            return "Late-event sweep: off (late_sweep_span_hours is 0)."
        swept = [s for s in self._streams if s.status == "swept"]
        if self.skipped:
            return f"Late-event sweep: skipped ({self.skipped}); the next sync tries again."
        if not swept:
            upcoming = [s.next_ms for s in self._streams if s.next_ms is not None]
            when = f"; the next is due at {iso_utc(min(upcoming))}" if upcoming else ""
            return f"Late-event sweep: none due in this sync{when}."
        log_streams = sum(len(s.found.log_streams) for s in swept)
        events = sum(s.found.events for s in swept)
        lag = max(s.found.max_lag_ms for s in swept)
        calls = sum(s.found.calls for s in swept)
        cost = self.bytes_scanned / 1e9 * PRICE_PER_GB_SCANNED_USD
        return (
            f"Late-event sweep: {len(swept)} streams swept with {self.queries} Logs Insights queries; "
            f"{log_streams} log streams with {events} late events found beyond the lookback, largest lag "
            f"{_duration(lag)}; {calls} re-read calls; {self.bytes_scanned} bytes scanned (about "
            f"${cost:.4f} at ${PRICE_PER_GB_SCANNED_USD} per GB scanned)."
        )


def sweep_check(logs: LogsClient, identifier: str, at_s: int) -> str | None:
    """`check`'s warning when the sweep's queries are refused for lack of permission (the sync goes on without)."""
    code = probe(logs, identifier, at_s)
    if code not in ("AccessDeniedException", "AccessDenied"):
        return None
    return (
        f"The late-event sweep cannot run: these credentials may not call {PERMISSION_ACTIONS}. Syncs go on "
        "without it (events that arrive later than the lookback covers may be lost). Allow both actions, or set "
        "late_sweep_span_hours to 0 to turn the sweep off."
    )
