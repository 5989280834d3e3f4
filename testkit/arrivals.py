"""Late arrivals played out on the fake's clock: hours of events that reach CloudWatch minutes or hours after their
timestamp, with a sync every so often, in seconds of real time. For the late-event tests and `make bench`.

What is faked: time. The fake's clock (`FakeCloudWatch.clock`) is moved forward by the timeline; it is what the
fake answers in every `Date` header (the connector's "now") and what PutLogEvents stamps as `ingestionTime`.
Each event is put when the timeline reaches its arrival time, so it is invisible to a sync before it and carries
its real lag (`ingestionTime - timestamp`), as in AWS. Everything else is the fake's ordinary behaviour.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from testkit.connector import config, discovered_catalog, run_connector
from testkit.fake_logs import FakeCloudWatch
from testkit.messages import MessageView
from testkit.seeding import MAX_PUT_EVENTS, MINUTE

BATCH_MS = 60_000  # arrivals within this span of the first reach CloudWatch together, at the last one's time


@dataclass(frozen=True)
class Arrival:
    group: str
    stream: str
    timestamp: int
    message: str  # unique: it identifies the event among everything delivered
    arrives_ms: int  # when CloudWatch ingests it

    @property
    def lag_ms(self) -> int:
        return self.arrives_ms - self.timestamp


@dataclass
class SyncReport:
    """One sync of a timeline: what it delivered and what it cost."""

    at_ms: int
    records: int
    new: int  # events delivered for the first time
    duplicates: int  # events delivered before, re-read
    filter_calls: int
    warnings: list[str]
    finished: list[str]  # the streams' summary lines
    run: MessageView


@dataclass
class Timeline:
    """A fake CloudWatch whose clock the test moves; events put as the clock reaches their arrival times."""

    fake: FakeCloudWatch
    client: Any
    now_ms: int
    pending: list[Arrival] = field(default_factory=list)
    arrived: dict[str, Arrival] = field(default_factory=dict)  # message -> arrival
    delivered: Counter[str] = field(default_factory=Counter)  # message -> deliveries
    syncs: list[SyncReport] = field(default_factory=list)
    state: list[dict[str, Any]] | None = None
    catalog: dict[str, Any] | None = None
    _streams: set[tuple[str, str]] = field(default_factory=set)
    _clock_ms: int = 0

    def __post_init__(self) -> None:
        self._clock_ms = self.now_ms
        self.fake.clock = lambda: datetime.fromtimestamp(self._clock_ms / 1000, UTC)

    def schedule(self, arrivals: Iterable[Arrival]) -> None:
        self.pending.extend(arrivals)
        self.pending.sort(key=lambda a: a.arrives_ms)

    def create_groups(self, groups: Iterable[str]) -> None:
        for group in groups:
            self.client.create_log_group(logGroupName=group)

    def advance_to(self, ms: int) -> None:
        """Moves the clock to `ms`, putting every pending arrival up to it at its arrival time (or up to BATCH_MS later)."""
        while self.pending and self.pending[0].arrives_ms <= ms:
            batch_end = self.pending[0].arrives_ms + BATCH_MS - 1
            count = 0
            while count < len(self.pending) and self.pending[count].arrives_ms <= min(batch_end, ms):
                count += 1
            batch, self.pending = self.pending[:count], self.pending[count:]
            self.now_ms = max(self.now_ms, batch[-1].arrives_ms)
            by_stream: dict[tuple[str, str], list[Arrival]] = {}
            for arrival in batch:
                by_stream.setdefault((arrival.group, arrival.stream), []).append(arrival)
            for (group, stream), arrivals in by_stream.items():
                self._clock_ms = max(a.arrives_ms for a in arrivals)  # each stream's events at its own latest
                self._put(group, stream, arrivals)
        self.now_ms = self._clock_ms = max(self.now_ms, ms)

    def _put(self, group: str, stream: str, arrivals: list[Arrival]) -> None:
        if (group, stream) not in self._streams:
            self.client.create_log_stream(logGroupName=group, logStreamName=stream)
            self._streams.add((group, stream))
        ordered = sorted(arrivals, key=lambda a: a.timestamp)
        for i in range(0, len(ordered), MAX_PUT_EVENTS):
            chunk = ordered[i : i + MAX_PUT_EVENTS]
            self.client.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": a.timestamp, "message": a.message} for a in chunk],
            )
        self.arrived.update((a.message, a) for a in arrivals)

    def sync(self, workdir: Path, connector_config: Mapping[str, Any]) -> SyncReport:
        """One incremental read of every stream (the real entry point), from the state the last sync left."""
        if self.catalog is None:
            self.catalog = discovered_catalog(connector_config)
        catalog = self.catalog
        before = self.fake.calls["FilterLogEvents"]
        run = run_connector("read", workdir, connector_config, catalog=catalog, state=self.state, timeout=300)
        assert run.returncode == 0 and not run.errors, run.stderr[-3000:]
        new = duplicates = 0
        for record in run.records:
            message = record["data"]["message"]
            if self.delivered[message]:
                duplicates += 1
            else:
                new += 1
            self.delivered[message] += 1
        self.state = run.state
        report = SyncReport(
            at_ms=self.now_ms,
            records=len(run.records),
            new=new,
            duplicates=duplicates,
            filter_calls=self.fake.calls["FilterLogEvents"] - before,
            warnings=run.logs("WARN"),
            finished=[line for line in run.logs("INFO") if ": finished: " in line],
            run=run,
        )
        self.syncs.append(report)
        return report

    def missing(self) -> list[Arrival]:
        """Events that arrived but were never delivered."""
        return sorted((a for m, a in self.arrived.items() if not self.delivered[m]), key=lambda a: a.timestamp)

    def unknown(self) -> list[str]:
        """Delivered messages that never arrived (must be none)."""
        return [m for m in self.delivered if m not in self.arrived]


# ----- the lagged-arrival scenario -----------------------------------------------------------------------------


def steady(
    group: str, stream: str, start_ms: int, end_ms: int, every_ms: int, lags_ms: tuple[int, int], rng: random.Random
) -> list[Arrival]:
    """An event every `every_ms` (jittered) from `start_ms` to `end_ms`, each arriving a random lag later."""
    arrivals = []
    timestamp = start_ms
    while timestamp < end_ms:
        lag = rng.randint(*lags_ms)
        arrivals.append(Arrival(group, stream, timestamp, f"{group} {stream} {timestamp} {lag}", timestamp + lag))
        timestamp += rng.randint(every_ms // 2, every_ms * 3 // 2)
    return arrivals


def batch(group: str, stream: str, timestamps: Iterable[int], arrives_ms: int, label: str) -> list[Arrival]:
    """Events with the given timestamps, all arriving at `arrives_ms` (a back-dated batch)."""
    return [
        Arrival(group, stream, ts, f"{group} {stream} {label} #{n} {ts}", arrives_ms) for n, ts in enumerate(timestamps)
    ]


@dataclass(frozen=True)
class LaggedScenario:
    """Busy groups whose events arrive 1 to 20 minutes late, a quiet group that receives a back-dated batch hours
    old, and a new log stream with back-dated events, synced every `sync_every_ms` for `live_ms` with default
    settings, after a first full sync over `history_ms` of history."""

    busy_groups: tuple[str, ...] = ("/lagged/vpc-flow", "/lagged/cloudtrail")
    quiet_group: str = "/lagged/quiet-importer"
    history_ms: int = 6 * 60 * MINUTE
    live_ms: int = 2 * 60 * MINUTE
    sync_every_ms: int = 15 * MINUTE
    every_ms: int = 30_000
    lags_ms: tuple[int, int] = (MINUTE, 20 * MINUTE)
    back_dated: bool = True  # the quiet group's hours-old back-fill and the new stream's minutes-old events

    @property
    def groups(self) -> tuple[str, ...]:
        return (*self.busy_groups, self.quiet_group)

    def arrivals(self, start_ms: int, rng: random.Random) -> list[Arrival]:
        """Everything that arrives, relative to `start_ms` (the first sync)."""
        history = start_ms - self.history_ms
        live_end = start_ms + self.live_ms
        arrivals: list[Arrival] = []
        for group in self.busy_groups:
            for stream in ("eni-a", "eni-b"):
                arrivals += steady(group, stream, history, live_end, self.every_ms * 2, self.lags_ms, rng)
        arrivals += batch(
            self.quiet_group, "daily", [history + n * MINUTE for n in range(3)], history + 3 * MINUTE, "old"
        )
        if not self.back_dated:
            return arrivals
        # An importer back-fills three hours-old events 40 minutes into the live stretch.
        backfill = [start_ms - 3 * 60 * MINUTE + n * 5 * MINUTE for n in range(12)]
        arrivals += batch(self.quiet_group, "backfill", backfill, start_ms + 40 * MINUTE, "backfill")
        # A new log stream in a busy group, 70 minutes in, with events 5 to 15 minutes old.
        fresh = [start_ms + 55 * MINUTE + n * 20_000 for n in range(30)]
        arrivals += batch(self.busy_groups[0], "eni-new", fresh, start_ms + 70 * MINUTE, "new-stream")
        return arrivals


def connector_settings(endpoint: str, **overrides: Any) -> dict[str, Any]:
    """The connector's config with default settings (testkit.connector.config sets no ingestion delay)."""
    settings = config(endpoint, **overrides)
    if "ingestion_delay_seconds" not in overrides:
        del settings["ingestion_delay_seconds"]
    return settings
