"""Issue 23: a merged stream over 200 small log groups, the real entry point against the fake (moto behind testkit's
wrapper). A sync SIGKILLed mid-way resumes exactly from the last STATE it delivered; STATE messages come at the
checkpoint pace (checkpoints.py) in the compact form (merged_state.py), each after the records it covers; a state
written in the form before the compact one resumes exactly as the compact one does; the groups' late events are
one warning naming them."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from source_cloudwatch_logs.checkpoints import CHECKPOINT_INTERVAL_S
from source_cloudwatch_logs.merged_state import long_form
from source_cloudwatch_logs.state import StreamPosition, usable_group_positions
from testkit.connector import Run, config, discovered_catalog, read_with_kill
from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import DAY, logs_client, now_ms, put_events

GROUPS = [f"/scale/g{n:03d}" for n in range(200)]
EVENTS_PER_GROUP = 20
BASE = now_ms() - DAY
STREAM = "scale"
FAR_FUTURE_MS = 2**62


def _settings(fake: FakeCloudWatch) -> dict[str, Any]:
    report = {"name": STREAM, "log_group_prefix": "/scale/"}
    return config(fake.url, log_group_prefix="/none", custom_log_reports=[report], requests_per_second=1000)


def _seed(fake: FakeCloudWatch) -> dict[str, list[tuple[int, str]]]:
    client = logs_client(fake.url)
    seeded = {}
    for n, group in enumerate(GROUPS):
        seeded[group] = [(BASE + n * 100 + i, f"{group} {i}") for i in range(EVENTS_PER_GROUP)]
        put_events(client, group, "s", seeded[group])
    return seeded


def _positions(state: dict[str, Any]) -> dict[str, StreamPosition | None]:
    positions, problems = usable_group_positions(long_form(state), GROUPS, FAR_FUTURE_MS)
    assert problems == []
    return positions


def _delivered(run: Run) -> list[tuple[str, int, str]]:
    return [(r["logGroupName"], r["timestamp"], r["message"]) for r in run.records_of(STREAM)]


def _check_states_follow_their_records(run: Run, before: set[tuple[str, int, str]], seeded: Any) -> None:
    """Every STATE covers only records delivered before it (in this run or an earlier one), and never goes back."""
    delivered = set(before)
    previous: dict[str, int] = {}
    for message in run.messages:
        if message["type"] == "RECORD":
            data = message["record"]["data"]
            delivered.add((data["logGroupName"], data["timestamp"], data["message"]))
        elif message["type"] == "STATE":
            positions = _positions(message["state"]["stream"]["stream_state"])
            for group, position in positions.items():
                watermark = position.watermark_ms if position is not None else 0
                covered = {(group, ts, text) for ts, text in seeded[group] if ts < watermark}
                assert covered <= delivered, (group, len(covered - delivered))
                assert watermark >= previous.get(group, 0)
                previous[group] = watermark


def test_a_merged_stream_over_200_groups_resumes_exactly_after_a_sigkill(fake: FakeCloudWatch, tmp_path: Path) -> None:
    seeded = _seed(fake)
    everything = {(group, ts, text) for group, events in seeded.items() for ts, text in events}
    settings = _settings(fake)
    catalog = discovered_catalog(settings)
    assert [s["stream"]["name"] for s in catalog["streams"]] == [STREAM]
    # 100 ms a call and pages of 5 events: 800 calls, so the sync outlasts a checkpoint interval or two.
    fake.plan.latency_s = 0.1
    fake.plan.page_event_cap = 5

    killed = read_with_kill(tmp_path, settings, catalog, kill_after_records=len(everything) * 3 // 4)
    assert killed.killed
    _check_states_follow_their_records(killed, set(), seeded)
    resumed_from = killed.state[-1]
    positions = _positions(resumed_from["stream"]["stream_state"])
    done = {group for group, p in positions.items() if p is not None and p.watermark_ms > seeded[group][-1][0]}
    assert 0 < len(done) < len(GROUPS)  # the kill fell between checkpoints of the stream, as meant

    rest = read_with_kill(tmp_path, settings, catalog, state=[resumed_from])
    assert rest.returncode == 0, rest.stderr[-3000:]
    _check_states_follow_their_records(rest, set(_delivered(killed)), seeded)
    # Exactly: every group not done again from its start, a done group from its newest event (state.py's rule).
    expected = {(g, ts, text) for g in GROUPS for ts, text in seeded[g] if g not in done or ts >= seeded[g][-1][0]}
    assert sorted(_delivered(rest)) == sorted(expected)
    assert set(_delivered(killed)) | set(_delivered(rest)) == everything
    final = rest.stream_state(STREAM)
    assert {g: p.newest_ms if p else None for g, p in _positions(final).items()} == {
        g: seeded[g][-1][0] for g in GROUPS
    }

    # At the pace: the first window's STATE, then at most one per CHECKPOINT_INTERVAL_S, and the last at the end.
    states = rest.of("STATE")
    assert 2 <= len(states) <= math.floor(rest.seconds / CHECKPOINT_INTERVAL_S) + 2, (len(states), rest.seconds)
    assert states[-1]["state"]["stream"]["stream_state"] == final
    assert rest.messages[-1]["type"] != "RECORD" and rest.messages.index(states[-1]) > max(
        i for i, m in enumerate(rest.messages) if m["type"] == "RECORD"
    )
    size = len(json.dumps(final, separators=(",", ":")))
    assert size / len(GROUPS) < 60, size
    assert sum(len(json.dumps(s["state"]["stream"]["stream_state"])) for s in states) < 60 * len(GROUPS) * len(states)

    # One warning for the groups' late events (seeded a day back, ingested now), naming three and counting.
    late = [w for w in rest.logs("WARN") if "became visible" in w]
    lag_ms = max(r["ingestionTime"] - r["timestamp"] for r in rest.records_of(STREAM))
    assert late == [
        f"Stream '{STREAM}': events became visible up to {lag_ms / 1000:.0f} s after their timestamp in 200 log "
        "groups: '/scale/g000', '/scale/g001', '/scale/g002' and 197 more, later than max_lookback_seconds (3600) "
        "plus ingestion_delay_seconds (0) cover. Events this late are read only when the log group is quiet around "
        f"their timestamp: raise max_lookback_seconds to at least {math.ceil(lag_ms / 1000)} (at most 1209600) to "
        "read them all, at the cost of re-reading that span every sync."
    ]


def test_a_merged_state_written_before_the_compact_form_resumes_exactly_as_the_compact_one(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    """The state 0.2.0 wrote (`log_groups`, each entry a stream's state) and the compact one of the same positions
    lead to the same records; the compact form is what is written from then on."""
    seeded = _seed(fake)
    settings = _settings(fake)
    catalog = discovered_catalog(settings)
    first = read_with_kill(tmp_path, settings, catalog)
    assert first.returncode == 0, first.stderr[-3000:]
    compact = first.state[-1]
    positions = _positions(compact["stream"]["stream_state"])
    old = json.loads(json.dumps(compact))
    old["stream"]["stream_state"] = {  # as merged.py wrote it before the compact form
        "timestamp": compact["stream"]["stream_state"]["timestamp"],
        "log_groups": {g: p.as_state() for g, p in positions.items() if p is not None},
    }
    assert len(old["stream"]["stream_state"]["log_groups"]) == len(GROUPS)
    assert _positions(old["stream"]["stream_state"]) == positions
    put_events(logs_client(fake.url), GROUPS[7], "s", [(BASE + 5_000, "new in g007")])

    from_old = read_with_kill(tmp_path, settings, catalog, state=[old])
    from_compact = read_with_kill(tmp_path, settings, catalog, state=[compact])
    expected = sorted(
        [(g, seeded[g][-1][0], seeded[g][-1][1]) for g in GROUPS] + [(GROUPS[7], BASE + 5_000, "new in g007")]
    )
    assert sorted(_delivered(from_old)) == sorted(_delivered(from_compact)) == expected
    assert "groups" in from_old.stream_state(STREAM) and "log_groups" not in from_old.stream_state(STREAM)
    assert from_old.logs("WARN") == from_compact.logs("WARN")
