"""Late events with default settings: several consecutive syncs against the fake, with events arriving minutes to
hours after their timestamp, deliver every event. Faked: time (testkit.arrivals moves the fake's clock, which
stamps `ingestionTime` and answers the `Date` header the connector syncs by); the connector runs as a subprocess
and the fake answers FilterLogEvents as AWS does."""

from __future__ import annotations

import random
import re
from pathlib import Path

from testkit.arrivals import Arrival, LaggedScenario, Timeline, batch, connector_settings, steady
from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import DAY, MINUTE, logs_client, now_ms

START = (now_ms() - 2 * DAY) // MINUTE * MINUTE  # the first sync, on the fake's clock


def test_late_arrivals_are_all_delivered_with_default_settings(fake: FakeCloudWatch, tmp_path: Path) -> None:
    scenario = LaggedScenario()
    timeline = Timeline(fake, logs_client(fake.url), now_ms=START - scenario.history_ms)
    timeline.create_groups(scenario.groups)
    timeline.schedule(scenario.arrivals(START, random.Random(20261130)))
    settings = connector_settings(fake.url)
    quiet = scenario.quiet_group

    timeline.advance_to(START)
    first = timeline.sync(tmp_path, settings)
    # The full sync learned each busy group's lag from its history (lags up to 20 minutes)...
    for group in scenario.busy_groups:
        state = first.run.stream_state(group)
        assert 15 * MINUTE <= state["ingestion_lag_ms"] <= 20 * MINUTE + 60_000, state
        assert state["timestamp"] == START - 300_000
        assert state["newest_event_timestamp"] < state["timestamp"]

    edges: list[Arrival] = []
    for number in range(1, scenario.live_ms // scenario.sync_every_ms + 1):
        timeline.advance_to(START + number * scenario.sync_every_ms)
        report = timeline.sync(tmp_path, settings)
        if number == 2:
            # A late event 1 ms after the quiet group's newest delivered event, and two in its very millisecond.
            newest = report.run.stream_state(quiet)["newest_event_timestamp"]
            edges = batch(quiet, "edge", [newest, newest, newest + 1], timeline.now_ms + 5 * MINUTE, "edge")
            timeline.schedule(edges)
    timeline.advance_to(START + scenario.live_ms + 2 * 60 * MINUTE)  # everything has arrived and settled
    timeline.sync(tmp_path, settings)

    assert timeline.unknown() == []
    assert timeline.missing() == []
    assert len(timeline.arrived) == sum(1 for _ in timeline.delivered) > 1900
    assert {a.message for a in edges} <= set(timeline.delivered)
    # Late events were found (timestamps below the previous sync's watermark) in most syncs.
    late = [
        int(m.group(1))
        for s in timeline.syncs[1:]
        for line in s.finished
        for m in [re.search(r"; (\d+) late", line)]
        if m
    ]
    assert sum(late) > 100
    # The back-filled and edge events (hours late) are beyond max_lookback_seconds: the warning names the quiet
    # group, and they were delivered all the same (the group was quiet around their timestamps).
    warned = {
        re.match(r"Stream '([^']+)'", w).group(1)
        for s in timeline.syncs
        for w in s.warnings
        if "max_lookback_seconds" in w
    }  # type: ignore[union-attr]
    assert warned == {quiet}


def test_a_sync_with_nothing_new_costs_one_call_per_stream_and_repeats_only_the_newest_events(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    rng = random.Random(7)
    timeline = Timeline(fake, logs_client(fake.url), now_ms=START - 3 * 60 * MINUTE)
    groups = ["/calm/a", "/calm/b"]
    timeline.create_groups(groups)
    for group in groups:
        timeline.schedule(
            steady(group, "s", START - 3 * 60 * MINUTE, START - 60 * MINUTE, 60_000, (1_000, 5 * MINUTE), rng)
        )
    settings = connector_settings(fake.url)
    timeline.advance_to(START)
    first = timeline.sync(tmp_path, settings)
    timeline.advance_to(START + 15 * MINUTE)
    again = timeline.sync(tmp_path, settings)

    assert again.filter_calls == len(groups)  # as before this change: one window, one call per small stream
    newest = {group: max(a.timestamp for a in timeline.arrived.values() if a.group == group) for group in groups}
    assert sorted((r["data"]["logGroupName"], r["data"]["timestamp"]) for r in again.run.records) == sorted(
        newest.items()
    )
    assert again.new == 0 and again.duplicates == len(groups)
    assert first.run.stream_state(groups[0])["newest_event_timestamp"] == newest[groups[0]]


def test_lags_beyond_max_lookback_are_warned_and_only_those_events_are_lost(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    rng = random.Random(11)
    group = "/busy/api"
    timeline = Timeline(fake, logs_client(fake.url), now_ms=START - 2 * 60 * MINUTE)
    timeline.create_groups([group])
    steady_events = steady(group, "s", START - 2 * 60 * MINUTE, START + 60 * MINUTE, 30_000, (1_000, 60_000), rng)
    # One 40-minute-late event in the history (the full sync sees its lag) and three in the live stretch.
    very_late = [
        Arrival(group, "straggler", ts, f"straggler {ts}", ts + 40 * MINUTE)
        for ts in (START - 90 * MINUTE, START + 10 * MINUTE + 7, START + 20 * MINUTE + 7, START + 25 * MINUTE + 7)
    ]
    timeline.schedule(steady_events + very_late)
    settings = connector_settings(fake.url, max_lookback_seconds=600)
    timeline.advance_to(START)
    first = timeline.sync(tmp_path, settings)
    for number in range(1, 9):
        timeline.advance_to(START + number * 15 * MINUTE)
        timeline.sync(tmp_path, settings)
    timeline.advance_to(START + 4 * 60 * MINUTE)
    timeline.sync(tmp_path, settings)

    assert [a.message for a in timeline.missing()] == [a.message for a in very_late[1:]]
    assert [w for w in first.warnings if not w.startswith("The local clock is")] == [
        f"Stream '{group}': an event became visible 2400 s after its timestamp, later than max_lookback_seconds "
        "(600) plus ingestion_delay_seconds (300) cover. Events this late are read only when the log group is quiet "
        "around their timestamp: raise max_lookback_seconds to at least 2100 (at most 1209600) to read them all, at "
        "the cost of re-reading that span every sync."
    ]


def test_back_fills_into_a_group_empty_at_the_previous_sync_are_delivered(fake: FakeCloudWatch, tmp_path: Path) -> None:
    """Issue 20 item 1: a group with no event at one sync, then back-filled below that sync's watermark (lags from
    6 minutes to 2 hours), over three syncs with default settings and with a 900 s lookback floor: every event is
    delivered, and no extra call is made for it (the empty stretch joins the first window)."""
    empty, busy = "/backfill/importer", "/backfill/busy"
    for floor_s in (0, 900):
        fake.reset()
        timeline = Timeline(fake, logs_client(fake.url), now_ms=START - 3 * 60 * MINUTE)
        timeline.create_groups([empty, busy])
        timeline.schedule(
            steady(busy, "s", START - 3 * 60 * MINUTE, START + 20 * MINUTE, 60_000, (0, 5_000), random.Random(3))
        )
        settings = connector_settings(fake.url, lookback_window_seconds=floor_s)
        timeline.advance_to(START)
        first = timeline.sync(tmp_path, settings)
        state = first.run.stream_state(empty)
        # Read from the group's oldest possible event (creation less 14 days): all of it empty when read.
        assert sorted(state) == ["empty_from", "swept_at", "swept_ingested_to", "timestamp"]
        assert state["timestamp"] == START - 300_000
        assert state["swept_at"] == state["swept_ingested_to"] == START  # read from its start: nothing to sweep below
        assert state["empty_from"] < START - 11 * DAY
        # Back-filled 10 minutes after the first sync: events 2 hours to 6 minutes older than their arrival.
        arrives = START + 10 * MINUTE
        first_fill = batch(
            empty, "import", [arrives - 2 * 60 * MINUTE + n * 6 * MINUTE for n in range(19)], arrives, "a"
        )
        timeline.schedule(first_fill)
        timeline.advance_to(START + 15 * MINUTE)
        second = timeline.sync(tmp_path, settings)
        assert second.filter_calls == 2  # one window per stream, the empty stretch included
        # A second back-fill into the now non-empty group, below its newest event's watermark: found as well.
        later = batch(empty, "import", [START - 50 * MINUTE + n * MINUTE for n in range(5)], START + 20 * MINUTE, "b")
        timeline.schedule(later)
        timeline.advance_to(START + 30 * MINUTE)
        timeline.sync(tmp_path, settings)

        assert timeline.missing() == [], floor_s
        assert timeline.unknown() == []
        delivered_fill = {a.message for a in first_fill + later if timeline.delivered[a.message]}
        assert delivered_fill == {a.message for a in first_fill + later}
