"""The delivery ledger, which checks every message a sequence of reads delivered against the seeded events,
and crash-and-resume: reads SIGKILLed at random points, each resuming from the states delivered so far. For
the delivery tests (crash-resume, faults, partial failures, message fidelity) and `make chaos`.

What the ledger checks, message by message, is the contract in docs/state-and-late-events.md:

* a record is a seeded event, unchanged (group, log stream, timestamp, message, eventId);
* within one run an event is delivered at most once (windows are disjoint);
* a run started from a state re-reads only what the state asks for: an event delivered again has a timestamp
  at or above the newest event the state names (`newest_event_timestamp`) or within `lookback_ms` (the most the
  lookback can be: `max_lookback_seconds`) below its watermark (`timestamp`);
* a stream's state never goes back;
* when a STATE with watermark S arrives, every seeded event of that stream with a timestamp below S has
  already been delivered (by this run or an earlier one): a state never runs ahead of its records; and its
  `newest_event_timestamp` is exactly the newest seeded event below S (lower would re-read more than needed,
  higher could skip a late event);
* at the end, every seeded event was delivered and every stream checkpointed past its last event.
"""

from __future__ import annotations

import bisect
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from source_cloudwatch_logs.spec import CloudWatchLogsConfig
from source_cloudwatch_logs.state import NEWEST_KEY
from testkit.connector import Run, read_with_kill
from testkit.seeding import Seeded

MAX_VIOLATIONS = 50  # the ledger stops collecting after this many (the first ones tell the story)
DEFAULT_LOOKBACK_MS = int(CloudWatchLogsConfig.model_fields["max_lookback_seconds"].default) * 1000


# ----- the ledger ----------------------------------------------------------------------------------------


@dataclass
class _Stream:
    """Seeded events of one stream sorted by timestamp, and how far the state check has verified them."""

    events: list[tuple[int, str]]  # (timestamp, eventId)
    timestamps: list[int]
    verified: int = 0  # events[:verified] were delivered before some delivered state covered them


@dataclass
class Summary:
    runs: int = 0
    kills: int = 0
    events: int = 0
    deliveries: int = 0
    repeats: int = 0
    max_repeats: int = 0
    states: int = 0
    kill_points: list[int] = field(default_factory=list)

    def line(self) -> str:
        return (
            f"runs={self.runs} kills={self.kills} events={self.events} deliveries={self.deliveries} "
            f"repeats={self.repeats} max_repeats={self.max_repeats} states={self.states}"
        )


class DeliveryLedger:
    """Everything delivered over a sequence of runs (see the module docstring for what is checked)."""

    def __init__(
        self,
        reference: Mapping[str, Seeded],
        groups: Iterable[str] = (),
        repeats_within_a_run: bool = False,
        failures_allowed: bool = False,
        lookback_ms: int = DEFAULT_LOOKBACK_MS,
    ) -> None:
        """`groups`: streams that must end with a state even without events; `repeats_within_a_run`: allow an
        event twice in one run (a restarted window re-reads its first pages); `failures_allowed`: error traces
        and failed runs are the test's business, not violations; `lookback_ms`: how far below a state's
        watermark a run may re-read (the config's max_lookback_seconds)."""
        self.reference = dict(reference)
        self.lookback_ms = lookback_ms
        self.newest: dict[str, int | None] = {}
        self.repeats_within_a_run = repeats_within_a_run
        self.failures_allowed = failures_allowed
        self.resumed_from: list[dict[str, int]] = []  # the checkpoints each run started from
        self.delivered: Counter[str] = Counter()  # eventId -> deliveries
        self.delivered_events: set[tuple[str, int, str]] = set()  # (stream, timestamp, message) as delivered
        self.checkpoint: dict[str, int] = {}
        self.violations: list[str] = []
        self.summary = Summary(events=len(self.reference))
        self._state_messages: dict[str, dict[str, Any]] = {}
        self._run_ids: set[str] = set()
        self._run_floor: dict[str, int] = {}
        grouped: dict[str, list[tuple[int, str]]] = {}
        for event_id, event in self.reference.items():
            grouped.setdefault(event.group, []).append((event.timestamp, event_id))
        for name in groups:
            grouped.setdefault(name, [])
        self._streams = {name: _Stream(sorted(evs), [ts for ts, _ in sorted(evs)]) for name, evs in grouped.items()}

    def violation(self, text: str) -> None:
        if len(self.violations) < MAX_VIOLATIONS:
            self.violations.append(f"run {self.summary.runs}: {text}")

    # --- runs

    def state_file(self) -> list[dict[str, Any]] | None:
        """The last delivered state of every stream (from whichever run delivered it); None before any."""
        return [{"type": "STREAM", "stream": s} for s in self._state_messages.values()] or None

    def remaining(self) -> int:
        """How many records the next run will deliver: every event at or above its stream's checkpoint."""
        total = 0
        for name, stream in self._streams.items():
            floor = self.checkpoint.get(name)
            total += len(stream.timestamps) - (bisect.bisect_left(stream.timestamps, floor) if floor else 0)
        return total

    def add_run(self, run: Run) -> None:
        self.summary.runs += 1
        self.summary.kills += run.killed
        self._run_ids = set()
        self._run_floor = {
            name: min(watermark - self.lookback_ms, self.newest.get(name) or watermark)
            for name, watermark in self.checkpoint.items()
        }
        self.resumed_from.append(dict(self.checkpoint))
        for message in run.messages:
            kind = message["type"]
            if kind == "RECORD":
                self._record(message["record"])
            elif kind == "STATE":
                self._state(message["state"])
            elif kind == "TRACE" and message["trace"]["type"] == "ERROR" and not self.failures_allowed:
                self.violation(f"error trace: {message['trace']['error'].get('message')}")
            elif kind == "NOT_JSON":
                self.violation(f"stdout line is not an Airbyte message: {message['line']!r}")
        if not run.killed and run.returncode != 0 and not self.failures_allowed:
            self.violation(f"read failed without being killed: {run.describe()}")

    def _record(self, record: Mapping[str, Any]) -> None:
        data, stream = record["data"], record["stream"]
        self.delivered_events.add((stream, data.get("timestamp"), data.get("message")))
        event_id = data.get("eventId")
        expected = self.reference.get(event_id)
        got = Seeded(data.get("logGroupName"), data.get("logStreamName"), data.get("timestamp"), data.get("message"))
        if expected is None:
            self.violation(f"unknown eventId {event_id!r}: {got}")
            return
        if got != expected or stream != expected.group:
            self.violation(f"event {event_id} in stream {stream!r} differs from the seed: {got} != {expected}")
        if event_id in self._run_ids and not self.repeats_within_a_run:
            self.violation(f"event {event_id} of {stream!r} delivered twice within one run")
        floor = self._run_floor.get(stream)
        if floor is not None and expected.timestamp < floor:
            self.violation(
                f"event {event_id} of {stream!r} at {expected.timestamp} re-delivered below {floor}, the most the "
                "checkpoint the run started from asks to re-read"
            )
        self._run_ids.add(event_id)
        self.delivered[event_id] += 1

    def _state(self, state: Mapping[str, Any]) -> None:
        self.summary.states += 1
        stream_state = state["stream"]
        name = stream_state["stream_descriptor"]["name"]
        value = stream_state.get("stream_state", {}).get("timestamp")
        if isinstance(value, bool) or not isinstance(value, int):
            self.violation(f"state of {name!r} is not {{'timestamp': <epoch ms>}}: {stream_state.get('stream_state')}")
            return
        previous = self.checkpoint.get(name)
        if previous is not None and value < previous:
            self.violation(f"state of {name!r} went back from {previous} to {value}")
        stream = self._streams.get(name)
        newest = stream_state.get("stream_state", {}).get(NEWEST_KEY)
        if stream is not None:
            below = bisect.bisect_left(stream.timestamps, value)
            expected_newest = stream.timestamps[below - 1] if below else None
            if newest != expected_newest:
                self.violation(f"state {value} of {name!r} names {newest} as its newest event, not {expected_newest}")
            missing: list[str] = []
            while stream.verified < len(stream.events) and stream.events[stream.verified][0] < value:
                timestamp, event_id = stream.events[stream.verified]
                if not self.delivered[event_id]:
                    missing.append(f"{event_id}@{timestamp}")
                stream.verified += 1
            if missing:
                self.violation(
                    f"state {value} of {name!r} covers {len(missing)} events not delivered yet: {missing[:5]}"
                )
        if previous is None or value >= previous:
            self.newest[name] = newest
        self.checkpoint[name] = max(value, previous or value)
        self._state_messages[name] = stream_state

    def finish(self) -> Summary:
        missing = [event_id for event_id in self.reference if not self.delivered[event_id]]
        if missing:
            examples = [self.reference[e] for e in missing[:5]]
            self.violation(f"{len(missing)} seeded events never delivered, e.g. {examples}")
        for name, stream in self._streams.items():
            last = stream.timestamps[-1] if stream.timestamps else None
            state = self.checkpoint.get(name)
            if state is None or (last is not None and state <= last):
                self.violation(f"final state of {name!r} is {state}, not past its last event at {last}")
        self.summary.deliveries = sum(self.delivered.values())
        self.summary.repeats = self.summary.deliveries - len(self.delivered)
        self.summary.max_repeats = max(self.delivered.values(), default=1) - 1
        return self.summary


# ----- crash and resume ----------------------------------------------------------------------------------


def crash_and_resume(
    workdir: Path,
    connector_config: Mapping[str, Any],
    catalog: Mapping[str, Any],
    reference: Mapping[str, Seeded],
    rng: random.Random,
    kills: int,
    timeout: float = 180,
    on_run: Callable[[Run, int | None, DeliveryLedger], None] | None = None,
) -> DeliveryLedger:
    """Reads, SIGKILLing the first `kills` runs after a random number of records, each run resuming from the
    last state per stream delivered so far, until a run completes.

    Each kill point is drawn from [1, remaining], where remaining is exactly what the run will deliver
    (every event at or above its stream's checkpoint), so every one of the `kills` runs is cut short.
    """
    ledger = DeliveryLedger(reference, groups=[s["stream"]["name"] for s in catalog["streams"]])
    for _ in range(kills + 1):
        remaining = ledger.remaining()
        kill_after = rng.randint(1, remaining) if ledger.summary.kills < kills and remaining > 0 else None
        run = read_with_kill(workdir, connector_config, catalog, ledger.state_file(), kill_after, timeout)
        if kill_after is not None:
            ledger.summary.kill_points.append(kill_after)
        ledger.add_run(run)
        if on_run is not None:
            on_run(run, kill_after, ledger)
        if not run.killed:
            break
    else:
        ledger.violation("no run completed")
    ledger.finish()
    return ledger
