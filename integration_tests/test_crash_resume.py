"""Crash-resume: the real entry point is SIGKILLed at seeded-random points of a multi-group sync and resumed
from the last STATE per stream it delivered, until a run completes. Nothing may be lost, and every repeat
must be explained by the windows in flight at the kill (see testkit/delivery.py for the ledger).

The long randomized version of this test is `make chaos` (benchmarks/chaos.py).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from source_cloudwatch_logs.ranges import TARGET_WINDOW_BYTES
from testkit.connector import Run, config, discovered_catalog
from testkit.delivery import DeliveryLedger, crash_and_resume
from testkit.fake_logs import FakeCloudWatch, pretend_stored_bytes
from testkit.seeding import GroupShape, Seeded, logs_client, now_ms, reference_events, seed_groups

SEED = 20261122
KILLS = 8
WINDOWS_PER_GROUP = 16
SHAPES = [
    GroupShape("/aws/lambda/checkout", events=3_000, streams=3, burst=400),
    GroupShape("/aws/lambda/search", events=2_500, streams=1),
    GroupShape("/ecs/api", events=2_000, streams=5, burst=50),
    GroupShape("/ecs/worker", events=1_500, streams=2),
    GroupShape("/vpc/flow-logs", events=3_000, streams=2, burst=400),
    GroupShape("app/audit", events=1_800, streams=1, burst=50),
    GroupShape("app/billing", events=2_200, streams=3),
    GroupShape("app/quiet", events=0, streams=1),
]


def test_sigkill_at_random_points_then_resume_loses_nothing(fake: FakeCloudWatch, tmp_path: Path) -> None:
    """Faked: 30 ms latency per call and pages of at most 100 events (so a window takes several pages and a
    kill lands mid-window), and a storedBytes of 16 x TARGET_WINDOW_BYTES per group (so the connector cuts each group into
    ~16 windows and checkpoints between them, as it would for a busy group; moto reports the real, tiny size).
    The kill points, the data and the order of the group shapes all come from one fixed seed."""
    rng = random.Random(SEED)
    client = logs_client(fake.url)
    seeded = seed_groups(client, SHAPES, rng, now_ms())
    groups = [shape.name for shape in SHAPES]
    reference = reference_events(client, groups)
    assert sorted(_key(e) for e in reference.values()) == sorted(_key(e) for e in seeded)
    pretend_stored_bytes(groups, WINDOWS_PER_GROUP * TARGET_WINDOW_BYTES)
    connector_config = config(fake.url, requests_per_second=1000)
    catalog = discovered_catalog(connector_config)
    fake.plan.latency_s = 0.03
    fake.plan.page_event_cap = 100

    ledger = crash_and_resume(tmp_path, connector_config, catalog, reference, rng, kills=KILLS)

    summary = ledger.summary
    assert ledger.violations == [], "\n".join(ledger.violations)
    assert (summary.kills, summary.runs) == (KILLS, KILLS + 1), summary.line()
    assert summary.events == len(seeded) == sum(shape.events + shape.burst for shape in SHAPES)
    # The union of everything delivered is exactly the seed, by content and by eventId.
    assert ledger.delivered_events == {_key(e) for e in seeded}
    assert set(ledger.delivered) == set(reference)
    # The kills did land inside windows (events were read again) and between checkpoints of one group (some
    # run resumed a group from a state strictly inside its data): the scenario is the one meant.
    assert summary.repeats > 0, summary.line()
    assert any(_inside_data(resumed, seeded) for resumed in ledger.resumed_from[1:]), ledger.resumed_from


def _key(event: Seeded) -> tuple[str, int, str]:
    return event.group, event.timestamp, event.message


def _inside_data(checkpoints: dict[str, int], seeded: list[Seeded]) -> bool:
    for group, position in checkpoints.items():
        timestamps = [e.timestamp for e in seeded if e.group == group]
        if timestamps and min(timestamps) < position <= max(timestamps):
            return True
    return False


# ----- the ledger must be able to fail ----------------------------------------------------------------------


def _reference() -> dict[str, Seeded]:
    return {f"id{i}": Seeded("g", "s", 1_000 + i, f"m{i}") for i in range(4)}


def _record(event_id: str, event: Seeded) -> dict[str, Any]:
    data = {
        "eventId": event_id,
        "timestamp": event.timestamp,
        "message": event.message,
        "logStreamName": event.stream,
        "logGroupName": event.group,
    }
    return {"type": "RECORD", "record": {"stream": event.group, "data": data}}


def _state(value: int, newest: int | None = None) -> dict[str, Any]:
    """A state of stream "g" whose newest event is `newest`, by default the newest of _reference() below `value`."""
    newest = newest if newest is not None else max((t for t in range(1_000, 1_004) if t < value), default=None)
    stream_state = {"timestamp": value, **({"newest_event_timestamp": newest} if newest is not None else {})}
    return {
        "type": "STATE",
        "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": "g"}, "stream_state": stream_state}},
    }


def _run(messages: list[dict[str, Any]], killed: bool = False) -> Run:
    return Run(messages, killed=killed, returncode=-9 if killed else 0, stderr="", seconds=0.0)


def test_the_ledger_accepts_a_crash_and_a_resume_explained_by_the_window_in_flight() -> None:
    ref = _reference()
    ledger = DeliveryLedger(ref)
    ledger.add_run(_run([_record("id0", ref["id0"]), _state(1_001), _record("id1", ref["id1"])], killed=True))
    ledger.add_run(_run([_record(i, ref[i]) for i in ("id1", "id2", "id3")] + [_state(2_000)]))
    summary = ledger.finish()

    assert ledger.violations == []
    assert (summary.runs, summary.kills, summary.repeats, summary.max_repeats) == (2, 1, 1, 1)


def test_the_ledger_flags_every_way_of_losing_or_inventing_events() -> None:
    ref = _reference()
    cases = {
        "covers 1 events not delivered": [_record("id0", ref["id0"]), _state(1_002)],
        "went back": [_state(1_001), _state(1_000)],
        "differs from the seed": [_record("id0", Seeded("g", "s", 1_000, "m0 changed"))],
        "unknown eventId": [_record("nope", ref["id0"])],
        "twice within one run": [_record("id0", ref["id0"]), _record("id0", ref["id0"])],
        "never delivered": [_record("id0", ref["id0"])],
        "not past its last event": [_record(i, ref[i]) for i in ref] + [_state(1_003)],
        "names 1000 as its newest event, not 1001": [_record(i, ref[i]) for i in ("id0", "id1")]
        + [_state(1_002, 1_000)],
        "is not an Airbyte message": [{"type": "NOT_JSON", "line": b"x"}],
    }
    for expected, messages in cases.items():
        ledger = DeliveryLedger(ref)
        ledger.add_run(_run(messages))
        ledger.finish()
        assert any(expected in v for v in ledger.violations), (expected, ledger.violations)

    # With no lookback, a run resumed from 1002 (newest event 1001) may re-read 1001 but nothing below.
    resumed = DeliveryLedger(ref, lookback_ms=0)
    resumed.add_run(_run([_record("id0", ref["id0"]), _record("id1", ref["id1"]), _state(1_002)], killed=True))
    resumed.add_run(_run([_record("id1", ref["id1"]), _record("id0", ref["id0"])]))
    assert [v for v in resumed.violations if "re-delivered" in v] == [
        "run 2: event id0 of 'g' at 1000 re-delivered below 1001, the most the checkpoint the run started from "
        "asks to re-read"
    ]
