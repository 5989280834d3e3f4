"""Tools for the delivery tests (crash-resume, faults) and the chaos run: seeding many log groups, running the
real entry point with a kill switch, and a ledger that checks every delivered message against the seed.

What the ledger checks, message by message, is the contract in README "State and delivery semantics":

* a record is a seeded event, unchanged (group, log stream, timestamp, message, eventId);
* within one run an event is delivered at most once (windows are disjoint);
* a run started from a state re-reads nothing below it: an event delivered again after a crash has a
  timestamp at or above the state its stream had checkpointed (and delivered) before the crash;
* a stream's state never goes back;
* when a STATE with value S arrives, every seeded event of that stream with a timestamp below S has
  already been delivered (by this run or an earlier one): a state never runs ahead of its records;
* at the end, every seeded event was delivered and every stream checkpointed past its last event.
"""

from __future__ import annotations

import bisect
import json
import logging
import os
import random
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.core import DEFAULT_ACCOUNT_ID
from moto.logs.models import logs_backends

from integration_tests.harness import ENTRY_POINT, REGION, MessageView, configured_catalog, put_events

MINUTE = 60_000
DAY = 24 * 60 * MINUTE
MAX_VIOLATIONS = 50  # the ledger stops collecting after this many (the first ones tell the story)


# ----- seeding ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupShape:
    """A log group to seed: `events` spread over the last ~13 days across `streams` log streams, plus a
    burst of `burst` events sharing one millisecond (so window and page edges can cut through a burst)."""

    name: str
    events: int
    streams: int = 2
    burst: int = 0


@dataclass(frozen=True)
class Seeded:
    group: str
    stream: str
    timestamp: int
    message: str


def seed_groups(client: Any, shapes: Sequence[GroupShape], rng: random.Random, now: int) -> list[Seeded]:
    """Puts the events through the API (PutLogEvents accepts timestamps back to now - 14 days)."""
    low, high = now - 13 * DAY, now - MINUTE
    seeded: list[Seeded] = []
    for shape in shapes:
        client.create_log_group(logGroupName=shape.name)
        per_stream: dict[str, list[tuple[int, str]]] = {f"stream-{n}": [] for n in range(shape.streams)}
        names = list(per_stream)
        for i in range(shape.events):
            stream = names[i % len(names)]
            per_stream[stream].append((rng.randint(low, high), f"{shape.name} {stream} #{i} {rng.getrandbits(32):08x}"))
        if shape.burst:
            at = rng.randint(low, high)
            for i in range(shape.burst):
                stream = names[i % len(names)]
                per_stream[stream].append((at, f"{shape.name} {stream} burst #{i}"))
        for stream, events in per_stream.items():
            if events:
                put_events(client, shape.name, stream, events)
            else:
                client.create_log_stream(logGroupName=shape.name, logStreamName=stream)
            seeded.extend(Seeded(shape.name, stream, ts, message) for ts, message in events)
    return seeded


def pretend_stored_bytes(groups: Iterable[str], stored_bytes: int) -> None:
    """Makes DescribeLogGroups report `stored_bytes` for each group (moto reports the sum of message sizes).

    The connector sizes its time windows from storedBytes (64 MB of data per window): a large value makes it
    cut a small test group into many windows, and checkpoint after each, as it would for a real busy group.
    Works on the moto backend of this process (the fake serves from it).
    """
    backend = logs_backends[DEFAULT_ACCOUNT_ID][REGION]
    for name in groups:
        first_stream = next(iter(backend.groups[name].streams.values()))
        first_stream.stored_bytes += stored_bytes


def reference_events(client: Any, groups: Iterable[str]) -> dict[str, Seeded]:
    """eventId -> event, as one plain FilterLogEvents pass over each whole group returns them (the oracle for
    eventIds, which the service assigns)."""
    reference: dict[str, Seeded] = {}
    for group in groups:
        params: dict[str, Any] = {"logGroupName": group, "limit": 10_000}
        while True:
            page = client.filter_log_events(**params)
            for event in page["events"]:
                reference[event["eventId"]] = Seeded(
                    group, event["logStreamName"], event["timestamp"], event["message"]
                )
            if not page.get("nextToken"):
                break
            params["nextToken"] = page["nextToken"]
    return reference


def discovered_catalog(connector_config: Mapping[str, Any], sync_mode: str = "incremental") -> dict[str, Any]:
    """discover, in this process (the entry point's discover is the same code; this saves a process start)."""
    from airbyte_cdk.models.airbyte_protocol_serializers import AirbyteCatalogSerializer

    from source_cloudwatch_logs import SourceCloudwatchLogs

    catalog = SourceCloudwatchLogs().discover(logging.getLogger("discover"), connector_config)
    return configured_catalog(AirbyteCatalogSerializer.dump(catalog), sync_mode)


# ----- running the entry point ---------------------------------------------------------------------------


@dataclass
class Run(MessageView):
    """What a destination would have received from one `read`: the messages read before the kill."""

    messages: list[dict[str, Any]]
    killed: bool
    returncode: int
    stderr: str
    seconds: float

    def final_states(self) -> dict[str, int]:
        """The last state value of each stream."""
        last: dict[str, int] = {}
        for message in self.of("STATE"):
            stream = message["state"]["stream"]
            last[stream["stream_descriptor"]["name"]] = stream["stream_state"]["timestamp"]
        return last

    def state_file(self) -> list[dict[str, Any]]:
        last: dict[str, dict[str, Any]] = {}
        for message in self.of("STATE"):
            last[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]["stream"]
        return [{"type": "STREAM", "stream": stream} for stream in last.values()]

    def describe(self) -> str:
        return f"exit {self.returncode}, killed={self.killed}, stderr tail:\n{self.stderr[-3000:]}"


def _write(workdir: Path, name: str, value: Any) -> str:
    path = workdir / f"{name}-{time.monotonic_ns()}.json"
    path.write_text(json.dumps(value))
    return str(path)


def parse_line(raw: bytes) -> dict[str, Any]:
    """One stdout line (split on b"\\n" only: JSON text may hold U+2028 or NEL, which str.splitlines splits on)."""
    try:
        message = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"type": "NOT_JSON", "line": raw[:500]}
    return message if isinstance(message, dict) and "type" in message else {"type": "NOT_JSON", "line": raw[:500]}


def read_with_kill(
    workdir: Path,
    connector_config: Mapping[str, Any],
    catalog: Mapping[str, Any],
    state: list[dict[str, Any]] | None = None,
    kill_after_records: int | None = None,
    timeout: float = 180,
) -> Run:
    """`source-cloudwatch-logs read` as a subprocess, its stdout read line by line as it is written.

    With `kill_after_records`, the process gets SIGKILL right after that many RECORD lines were read; what was
    read up to then is what counts as delivered (lines still in the pipe are lost, as in a real crash).
    """
    args = [str(ENTRY_POINT), "read", "--config", _write(workdir, "config", connector_config)]
    args += ["--catalog", _write(workdir, "catalog", catalog)]
    if state is not None:
        args += ["--state", _write(workdir, "state", state)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    stderr_path = workdir / f"stderr-{time.monotonic_ns()}.txt"
    started = time.monotonic()
    messages: list[dict[str, Any]] = []
    killed = False
    with (
        stderr_path.open("wb") as stderr,
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, env=env) as proc,
    ):
        assert proc.stdout is not None
        timer = threading.Timer(timeout, proc.kill)  # a hung connector fails the test instead of hanging it
        timer.start()
        try:
            records = 0
            for raw in iter(proc.stdout.readline, b""):
                message = parse_line(raw.rstrip(b"\n"))
                messages.append(message)
                if message["type"] == "RECORD":
                    records += 1
                    if kill_after_records is not None and records >= kill_after_records:
                        proc.send_signal(signal.SIGKILL)
                        killed = True
                        break
            proc.stdout.close()
            returncode = proc.wait(timeout=timeout)
        finally:
            timer.cancel()
    if not killed and returncode == -signal.SIGKILL:
        raise AssertionError(f"read timed out after {timeout} s; stderr tail:\n{stderr_path.read_text()[-3000:]}")
    return Run(messages, killed, returncode, stderr_path.read_text(errors="replace"), time.monotonic() - started)


def read_in_process(
    connector_config: Mapping[str, Any], catalog: Mapping[str, Any], state: list[dict[str, Any]] | None = None
) -> Run:
    """`read` through the CDK's test entry point in this process (botocore can be patched, nothing is killed).

    `returncode` is what the entry point would exit with: 1 when the read ended with an error.
    """
    from airbyte_cdk.models import Type
    from airbyte_cdk.models.airbyte_protocol_serializers import (
        AirbyteMessageSerializer,
        AirbyteStateMessageSerializer,
        ConfiguredAirbyteCatalogSerializer,
    )
    from airbyte_cdk.test.entrypoint_wrapper import read
    from airbyte_cdk.test.models import ExpectedOutcome

    from source_cloudwatch_logs import SourceCloudwatchLogs

    started = time.monotonic()
    output = read(
        SourceCloudwatchLogs(),
        connector_config,
        ConfiguredAirbyteCatalogSerializer.load(catalog),
        [AirbyteStateMessageSerializer.load(s) for s in state] if state else None,
        expected_outcome=ExpectedOutcome.ALLOW_ANY,
    )
    messages = [AirbyteMessageSerializer.dump(m) for m in output.get_message_by_types(list(Type))]
    returncode = 1 if output.errors else 0
    return Run(messages, killed=False, returncode=returncode, stderr="", seconds=time.monotonic() - started)


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
    ) -> None:
        """`groups`: streams that must end with a state even without events; `repeats_within_a_run`: allow an
        event twice in one run (a restarted window re-reads its first pages); `failures_allowed`: error traces
        and failed runs are the test's business, not violations."""
        self.reference = dict(reference)
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
        """The last delivered state of every stream (from whichever run delivered it)."""
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
        self._run_floor = dict(self.checkpoint)
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
                f"event {event_id} of {stream!r} at {expected.timestamp} re-delivered below the checkpoint {floor} "
                "the run started from"
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
        if stream is not None:
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
    on_run: Any = None,
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


def group_shapes(count: int, rng: random.Random, min_events: int, max_events: int) -> Iterator[GroupShape]:
    """Log groups of varied shapes drawn from `rng`: sizes (one in ten empty), stream counts and bursts."""
    for n in range(count):
        empty = rng.random() < 0.1
        yield GroupShape(
            name=f"/chaos/{n:02d}-{rng.choice(['api', 'worker', 'lambda', 'vpc'])}",
            events=0 if empty else rng.randint(min_events, max_events),
            streams=rng.choice([1, 2, 3, 5]),
            burst=0 if empty else rng.choice([0, 0, 50, 400]),
        )
