"""The late-event sweep (source_cloudwatch_logs/sweep.py) through the real entry point against the fake, whose
Logs Insights models `@ingestionTime`, `toMillis`, `stats ... by @log, @logStream`, multi-group queries and
`bytesScanned`. Faked: time (testkit.arrivals). Each late arrival below a busy group's newest delivered event is
delivered with the sweep and lost without it (span 0): the sweep is what finds it."""

from __future__ import annotations

import random
import re
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from source_cloudwatch_logs.sweep import VISIBILITY_MARGIN_MS
from testkit.arrivals import Arrival, Timeline, batch, connector_settings, steady
from testkit.connector import child_environment, command_line, read_with_kill
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
    # the next sweep looks again at the margin before this one, which Logs Insights may not have seen yet
    assert (state["swept_at"], state["swept_ingested_to"]) == (
        START + 8 * HOUR,
        START + 8 * HOUR - VISIBILITY_MARGIN_MS,
    )


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


def _agent_scenario(start: int) -> tuple[list[Arrival], list[int]]:
    """The busy stream stops at start + 5 h; an agent's buffer of events from start + 1 h to 4 h arrives at
    start + 7 h: at the sync of start + 8 h, the sweep's re-read is all that sync reads."""
    agent = batch(BUSY, "agent-7", [start + HOUR + n * 5 * MINUTE for n in range(37)], start + 7 * HOUR, "buffer")
    return agent, [start + 6 * HOUR, start + 8 * HOUR]


def _stopped_busy(fake: FakeCloudWatch, start: int, late: list[Arrival]) -> Timeline:
    fake.reset()
    timeline = Timeline(fake, logs_client(fake.url), now_ms=start - 3 * HOUR)
    timeline.create_groups([BUSY])
    timeline.schedule(_busy(BUSY, start - 3 * HOUR, start + 5 * HOUR, 2) + late)
    return timeline


def _read_once(fake: FakeCloudWatch, tmp_path: Path) -> tuple[list[Arrival], list[int], Timeline, dict[str, Any]]:
    """The agent scenario's busy group read once at START, with a sweep due at every later sync."""
    agent, syncs = _agent_scenario(START)
    timeline = _stopped_busy(fake, START, agent)
    config = connector_settings(fake.url, late_sweep_interval_hours=0)
    timeline.advance_to(START)
    timeline.sync(tmp_path, config)
    return agent, syncs, timeline, config


def test_without_permission_for_queries_the_sync_goes_on_says_so_and_the_next_allowed_sweep_finds_everything(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    agent, syncs, timeline, config = _read_once(fake, tmp_path)
    fake.plan.deny_queries = True
    for at in syncs:
        timeline.advance_to(at)
        report = timeline.sync(tmp_path, config)
        assert [w for w in report.warnings if "sweep" in w] == [
            "The late-event sweep did not run (no permission for logs:StartQuery and logs:GetQueryResults): events "
            "that arrive later than the lookback covers are not looked for in this sync; the sync goes on. Allow "
            "logs:StartQuery and logs:GetQueryResults to the connector's credentials to turn it on, or set "
            "late_sweep_span_hours to 0 to turn it off."
        ]
        assert (
            "Late-event sweep: skipped (no permission for logs:StartQuery and logs:GetQueryResults); the next "
            "sync tries again." in report.run.logs("INFO")
        )
        assert report.finished[0].endswith(
            "; late-event sweep skipped (no permission for logs:StartQuery and logs:GetQueryResults)."
        )
        state = report.run.stream_state(BUSY)
        assert state["swept_at"] == state["swept_ingested_to"] == START  # not past what was not swept
    assert _messages(timeline.missing()) == _messages(agent)
    fake.plan.deny_queries = False
    timeline.advance_to(START + 9 * HOUR)
    timeline.sync(tmp_path, config)
    assert timeline.missing() == []


def test_a_crash_mid_sweep_keeps_the_swept_window_and_the_resumed_sync_delivers_every_late_event(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    agent, syncs, timeline, config = _read_once(fake, tmp_path)
    timeline.advance_to(syncs[0])
    timeline.sync(tmp_path, config)
    timeline.advance_to(syncs[1])
    fake.plan.page_event_cap = 5  # the re-read takes 8 pages
    fake.plan.latency_s = 0.05
    assert timeline.catalog is not None
    killed = read_with_kill(tmp_path, config, timeline.catalog, state=timeline.state, kill_after_records=10)
    assert killed.killed
    delivered = {r["data"]["message"] for r in killed.records}
    late_delivered = delivered & set(_messages(agent))
    assert 0 < len(late_delivered) < len(agent)  # killed mid-sweep
    assert all(timeline.delivered[m] for m in delivered - late_delivered)  # the rest: the newest event, re-read
    for message in delivered:
        timeline.delivered[message] += 1
    states = [s for s in killed.messages if s["type"] == "STATE"]
    for state in states:  # every checkpoint of the killed run still says the sweep before this one
        stream_state = state["state"]["stream"]["stream_state"]
        marks = (stream_state["swept_at"], stream_state["swept_ingested_to"])
        assert marks == (syncs[0], syncs[0] - VISIBILITY_MARGIN_MS), stream_state
    timeline.state = killed.state or timeline.state  # resume from the last checkpoint, as the platform does
    fake.plan.page_event_cap, fake.plan.latency_s = None, 0.0
    resumed = timeline.sync(tmp_path, config)
    assert timeline.missing() == []
    assert resumed.run.stream_state(BUSY)["swept_at"] == syncs[1]


def test_sigterm_mid_sweep_stops_the_running_query(fake: FakeCloudWatch, tmp_path: Path) -> None:
    _, syncs, timeline, config = _read_once(fake, tmp_path)
    timeline.advance_to(syncs[0])
    fake.plan.query_seconds = 120  # the sweep's query runs until it is stopped
    args = command_line("read", tmp_path, config=config, catalog=timeline.catalog, state=timeline.state)
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_environment()) as proc:
        deadline = time.monotonic() + 60
        while fake.insights.running() == 0 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert fake.insights.running() == 1
        proc.send_signal(signal.SIGTERM)
        stdout, _ = proc.communicate(timeout=30)
    assert proc.returncode == 128 + signal.SIGTERM
    assert (fake.insights.stats.started, fake.insights.stats.stopped, fake.insights.running()) == (1, 1, 0)
    assert b"Stopped by SIGTERM" in stdout


def test_more_than_50_groups_take_one_query_per_50_and_a_late_event_in_the_last_is_found(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    groups = [f"/many/g{n:02}" for n in range(52)]
    timeline = Timeline(fake, logs_client(fake.url), now_ms=START - HOUR)
    timeline.create_groups(groups)
    arrivals = [
        Arrival(group, "app", START - HOUR + k * 10 * MINUTE, f"{group} #{k}", START - HOUR + k * 10 * MINUTE + 1000)
        for group in groups
        for k in range(12)
    ]
    # Below the newest event the first sync delivered of the last group (START - 10 min), 3 hours late.
    late = batch(groups[-1], "agent", [START - 55 * MINUTE, START - 45 * MINUTE], START + 2 * HOUR, "late")
    timeline.schedule(arrivals + late)
    config = connector_settings(fake.url, late_sweep_interval_hours=0)
    timeline.advance_to(START)
    timeline.sync(tmp_path, config)
    timeline.advance_to(START + 3 * HOUR)
    report = timeline.sync(tmp_path, config)
    assert fake.insights.stats.started == 2  # ceil(52 / 50)
    assert timeline.missing() == []
    messages = [r["data"]["message"] for r in report.run.records]
    assert sorted(m for m in messages if " late #" in m) == _messages(late)  # each once, in this sync
    summary = next(line for line in report.run.logs("INFO") if line.startswith("Late-event sweep:"))
    assert summary.startswith(
        "Late-event sweep: 52 streams swept with 2 Logs Insights queries; 1 log streams with 2 late events found "
        "beyond the lookback, largest lag "
    ), summary
