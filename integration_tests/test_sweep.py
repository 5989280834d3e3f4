"""The late-event sweep (source_cloudwatch_logs/sweep.py) through the real entry point against the fake, whose
Logs Insights models `@ingestionTime`, `toMillis`, `stats ... by @log, @logStream`, multi-group queries and
`bytesScanned`. Faked: time (testkit.arrivals). Each late arrival below a busy group's newest delivered event is
delivered with the sweep and lost without it (span 0): the sweep is what finds it."""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

from testkit.arrivals import Arrival, Timeline, batch, connector_settings, steady
from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import DAY, MINUTE, logs_client, now_ms

HOUR = 60 * MINUTE
START = (now_ms() - 2 * DAY) // MINUTE * MINUTE  # the first sync, on the fake's clock
BUSY = "/sweep/busy"


def _busy(group: str, start_ms: int, end_ms: int, seed: int) -> list[Arrival]:
    """A busy log stream: an event a minute, visible within 5 s (well inside the ingestion delay)."""
    return steady(group, "app", start_ms, end_ms, MINUTE, (0, 5_000), random.Random(seed))


def _play(
    fake: FakeCloudWatch, tmp_path: Path, late: list[Arrival], sync_at: list[int], start: int, **settings: Any
) -> Timeline:
    """A busy group from 3 h before `start` to the last sync, the `late` arrivals, a full sync at `start` and one
    at each of `sync_at`."""
    fake.reset()
    timeline = Timeline(fake, logs_client(fake.url), now_ms=start - 3 * HOUR)
    timeline.create_groups([BUSY])
    timeline.schedule(_busy(BUSY, start - 3 * HOUR, sync_at[-1] - 10 * MINUTE, 1) + late)  # all read by the end
    config = connector_settings(fake.url, **settings)
    timeline.advance_to(start)
    timeline.sync(tmp_path, config)
    for at in sync_at:
        timeline.advance_to(at)
        timeline.sync(tmp_path, config)
    assert timeline.unknown() == []
    return timeline


def _messages(arrivals: list[Arrival]) -> list[str]:
    return sorted(a.message for a in arrivals)


def test_an_agent_flushing_a_buffer_hours_late_and_a_new_stream_of_old_events_are_found_by_the_sweep(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    # An agent offline from START + 1 h flushes its 3-6 h buffer at START + 7 h, below the busy group's newest
    # event; a new log stream appears at START + 5 h 10 min with events 2 hours old.
    agent = batch(BUSY, "agent-7", [START + HOUR + n * 5 * MINUTE for n in range(37)], START + 7 * HOUR, "buffer")
    fresh_at = START + 5 * HOUR + 10 * MINUTE
    new_stream = batch(BUSY, "new-stream", [fresh_at - 2 * HOUR + n * MINUTE for n in range(20)], fresh_at, "new")
    late = agent + new_stream
    syncs = [START + n * HOUR for n in (2, 4, 6, 8)]

    off = _play(fake, tmp_path, late, syncs, START, late_sweep_span_hours=0)
    assert _messages(off.missing()) == _messages(late)  # lost without the sweep: nothing else finds them
    assert all("Late-event sweep: off" in " ".join(s.run.logs("INFO")) for s in off.syncs)
    assert fake.insights.stats.started == 0

    on = _play(fake, tmp_path, late, syncs, START, late_sweep_interval_hours=0)
    assert on.missing() == []
    # Each event once: no sync emits an event twice (sweep plus lookback), and the late ones came with the sweep.
    for sync in on.syncs:
        messages = [r["data"]["message"] for r in sync.run.records]
        assert len(messages) == len(set(messages))
    found = {s.at_ms: {r["data"]["message"] for r in s.run.records} & set(_messages(late)) for s in on.syncs}
    assert found[START + 6 * HOUR] == set(_messages(new_stream))
    assert found[START + 8 * HOUR] == set(_messages(agent))
    # One query per sweep (one group); the report says what it found, and the state moved to the sweep's clock.
    assert fake.insights.stats.started == 4
    last = on.syncs[-1]
    summary = next(line for line in last.run.logs("INFO") if line.startswith("Late-event sweep:"))
    assert re.fullmatch(
        r"Late-event sweep: 1 streams swept with 1 Logs Insights queries; 1 log streams with 37 late events found "
        r"beyond the lookback, largest lag 6\.0 h; 1 re-read calls; \d+ bytes scanned \(about \$\d+\.\d{4} at "
        r"\$0\.005 per GB scanned\)\.",
        summary,
    ), summary
    assert (
        "; late-event sweep: 1 log streams with 37 late events beyond the lookback, largest lag 6.0 h, 1 re-read"
        in (last.finished[0])
    )
    state = last.run.stream_state(BUSY)
    assert state["swept_at"] == state["swept_ingested_to"] == START + 8 * HOUR


def test_a_back_fill_13_days_old_is_found_with_the_longest_span_and_lost_without_the_sweep(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    start = (now_ms() - 10 * HOUR) // MINUTE * MINUTE  # moto refuses events more than 14 days older than now
    back_fill = batch(BUSY, "import", [start - 13 * DAY + n * HOUR for n in range(6)], start + 2 * HOUR, "old")
    syncs = [start + HOUR, start + 3 * HOUR]

    off = _play(fake, tmp_path, back_fill, syncs, start, late_sweep_span_hours=0)
    assert _messages(off.missing()) == _messages(back_fill)

    on = _play(fake, tmp_path, back_fill, syncs, start, late_sweep_interval_hours=0, late_sweep_span_hours=360)
    assert on.missing() == []
    assert {r["data"]["message"] for r in on.syncs[-1].run.records} >= set(_messages(back_fill))

    default = _play(fake, tmp_path, back_fill, syncs, start, late_sweep_interval_hours=0)
    assert _messages(default.missing()) == _messages(back_fill)  # beyond the default span of 48 hours
