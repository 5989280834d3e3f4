"""Progress on the Airbyte LOG channel: a line per stream when it starts and finishes, and a periodic line
for the whole sync.

The periodic line (`summary`) names, for each paced operation that made calls since the previous line, the rate
it achieved over that interval (its calls, retries included, over the seconds since the previous line or the
sync's start) next to its allowance now (the adaptive limiter's rate, lowered by throttling, of its budget):
`FilterLogEvents 24.6 calls/s over the last 30.0 s (allowance 25.0 of 25/s)`. Proved by
unit_tests/test_progress.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from airbyte_cdk.models import AirbyteLogMessage, AirbyteMessage, Level, Type
from airbyte_cdk.sources.message import MessageRepository

from source_cloudwatch_logs.aws.pacing import ApiStats, RateLimiter

REPORT_EVERY_SECONDS = 30.0


def log(repository: MessageRepository, level: Level, text: str) -> None:
    """A LOG message on the shared queue, so it is ordered with the records around it."""
    repository.emit_message(AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=level, message=text)))


@dataclass
class _Stream:
    started: float
    events: int = 0
    pages: int = 0
    windows_done: int = 0
    windows_planned: int | None = None  # known once all windows are generated
    lookback_ms: int = 0
    late_events: int = 0
    max_lag_ms: int = 0
    bytes_scanned: int = 0  # by Logs Insights queries (billed per GB)
    unparsed: int = 0  # messages message_format could not parse
    parsed_as: str = ""  # the stream's message_format, when it parses


class SyncProgress:
    def __init__(
        self,
        repository: MessageRepository,
        stats: ApiStats,
        total_streams: int,
        clock: Callable[[], float] = time.monotonic,
        every_seconds: float = REPORT_EVERY_SECONDS,
        limiters: Mapping[str, RateLimiter] | None = None,
    ) -> None:
        self._repository = repository
        self._stats = stats
        self._limiters = dict(limiters or {})
        self._total = total_streams
        self._clock = clock
        self._every = every_seconds
        self._started = clock()
        self._last_report = self._started
        self._last_summary = self._started  # when the previous summary was made, and the calls counted then
        self._calls_then: dict[str, int] = {}
        self._streams: dict[str, _Stream] = {}
        self._notes: dict[str, Callable[[], str]] = {}  # what else a stream's finished line says (sweep.py)
        self._done = 0
        self._events = 0
        self._bytes_scanned = 0
        self._lock = threading.Lock()

    def stream_started(self, name: str, window_count_hint: str, *, lookback_ms: int = 0, parsed_as: str = "") -> None:
        with self._lock:
            self._streams[name] = _Stream(started=self._clock(), lookback_ms=lookback_ms, parsed_as=parsed_as)
        log(self._repository, Level.INFO, f"Stream '{name}': started, reading {window_count_hint}.")

    def add_note(self, name: str, note: Callable[[], str]) -> None:
        """`note()` ends the stream's finished line (a clause starting with "; ")."""
        with self._lock:
            self._notes[name] = note

    def windows_planned(self, name: str, count: int) -> None:
        with self._lock:
            self._streams[name].windows_planned = count
            finished = self._finished(name)
        if finished:
            self._report_finished(name)

    def page_done(self, name: str, events: int) -> None:
        with self._lock:
            stream = self._streams[name]
            stream.events += events
            stream.pages += 1
            self._events += events
            now = self._clock()
            due = now - self._last_report >= self._every
            if due:
                self._last_report = now
        if due:
            log(self._repository, Level.INFO, self.summary())

    def scanned(self, name: str, bytes_scanned: int) -> None:
        """A Logs Insights query of the stream scanned this many bytes."""
        with self._lock:
            self._streams[name].bytes_scanned += bytes_scanned
            self._bytes_scanned += bytes_scanned

    def window_done(self, name: str, *, late_events: int = 0, max_lag_ms: int = 0, unparsed: int = 0) -> None:
        with self._lock:
            stream = self._streams[name]
            stream.unparsed += unparsed
            stream.windows_done += 1
            stream.late_events += late_events
            stream.max_lag_ms = max(stream.max_lag_ms, max_lag_ms)
            finished = self._finished(name)
        if finished:
            self._report_finished(name)

    def _finished(self, name: str) -> bool:
        stream = self._streams[name]
        if stream.windows_planned is None or stream.windows_done < stream.windows_planned:
            return False
        self._done += 1
        return True

    def _report_finished(self, name: str) -> None:
        stream = self._streams[name]
        seconds = self._clock() - stream.started
        log(
            self._repository,
            Level.INFO,
            f"Stream '{name}': finished: {stream.events} events, {stream.pages} pages, "
            f"{stream.windows_done} windows in {seconds:.1f} s; {stream.late_events} late events found (below the "
            f"previous state, ingested after it was read), largest ingestion lag {stream.max_lag_ms / 1000:.0f} s, "
            f"lookback {stream.lookback_ms / 1000:.0f} s{_scanned(stream.bytes_scanned)}{_unparsed(stream)}"
            f"{self._notes[name]() if name in self._notes else ''}.",
        )

    def events_of(self, name: str) -> int:
        """Events of the stream read so far."""
        with self._lock:
            stream = self._streams.get(name)
            return stream.events if stream is not None else 0

    def summary(self) -> str:
        now = self._clock()
        elapsed = max(now - self._started, 1e-9)
        stats = self._stats
        with self._lock:
            interval = max(now - self._last_summary, 1e-9)
            made = {op: stats.calls[op] - self._calls_then.get(op, 0) for op in self._limiters}
            self._last_summary = now
            self._calls_then = {op: stats.calls[op] for op in self._limiters}
        return (
            f"Progress: {self._done}/{self._total} streams done, {self._events} events "
            f"({self._events / elapsed:.0f}/s) in {elapsed:.1f} s, {stats.total(stats.calls)} API calls, "
            f"{stats.total(stats.throttles)} throttled, {stats.total(stats.errors)} other failed attempts"
            + "".join(
                f"; {operation} {made[operation] / interval:.1f} calls/s over the last {interval:.1f} s (allowance "
                f"{limiter.rate:.1f} of {limiter.budget:g}/s), {stats.latency_s(operation) * 1000:.0f} ms per call, "
                f"{made[operation] / interval * stats.latency_s(operation):.1f} in flight, "
                f"{limiter.waited_s:.1f} s waited"
                for operation, limiter in self._limiters.items()
                if made[operation]
            )
            + _scanned(self._bytes_scanned)
            + "."
        )


def _unparsed(stream: _Stream) -> str:
    """How many messages the stream's message_format left unparsed (JSON: not a JSON object)."""
    if not stream.parsed_as:
        return ""
    what = "not JSON objects" if stream.parsed_as == "json" else "of no known format"
    return f"; {stream.unparsed} of {stream.events} messages {what}"


def _scanned(bytes_scanned: int) -> str:
    """The Logs Insights cost of a stream or sync, if it ran queries."""
    if not bytes_scanned:
        return ""
    return f"; Logs Insights scanned {bytes_scanned} bytes ({bytes_scanned / 1e9:.3f} GB, billed per GB)"
