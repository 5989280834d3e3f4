"""`read` through the real entry point against moto in server mode (plain moto, nothing faked)."""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from testkit.messages import state_entry
from testkit.seeding import DAY, MINUTE, Event, now_ms, put_events


def seed_groups(logs: Any, base: int) -> dict[str, list[Event]]:
    """Three groups: one past a page (more than 10,000 events), one with unicode and multi-line messages,
    one with many events sharing a millisecond; plus an empty group."""
    big = [(base + i * 7, f'{{"requestId":"r{i}","status":{200 + i % 3}}}') for i in range(12_345)]
    odd = [
        (base + 1, "héllo wörld ✓ 日本語 🚀"),
        (base + 2, 'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: boom'),
        (base + 3, 'tab\tseparated\tand "quotes" and \\ backslash'),
        (base + 4, "x" * 50_000),
        (base + 5, " "),
    ]
    same_ms = [(base + 500, f"same ms {i}") for i in range(120)]
    put_events(logs, "/aws/lambda/big", "2026/11/22/[$LATEST]abc", big[:6000])
    put_events(logs, "/aws/lambda/big", "2026/11/22/[$LATEST]def", big[6000:])
    put_events(logs, "app/unicode", "s", odd)
    put_events(logs, "app/same-ms", "a", same_ms[:60])
    put_events(logs, "app/same-ms", "b", same_ms[60:])
    logs.create_log_group(logGroupName="app/empty")
    return {"/aws/lambda/big": big, "app/unicode": odd, "app/same-ms": same_ms, "app/empty": []}


def test_full_sync_returns_every_event_exactly_once(logs: Any, sync) -> None:  # type: ignore[no-untyped-def]
    seeded = seed_groups(logs, now_ms() - 3 * DAY)
    out = sync(sync_mode="full_refresh")

    assert out.returncode == 0, out.stderr[-2000:]
    assert out.errors == []
    for group, events in seeded.items():
        assert out.events_of(group) == sorted(events), group
        assert out.statuses(group)[-1] == "COMPLETE"
    ids = [r["data"]["eventId"] for r in out.records]
    assert len(ids) == len(set(ids)) == sum(len(e) for e in seeded.values())
    assert Counter(r["stream"] for r in out.records) == {g: len(e) for g, e in seeded.items() if e}


def test_records_carry_the_api_fields_plus_group_and_iso_time(logs: Any, sync) -> None:  # type: ignore[no-untyped-def]
    timestamp = 1_795_000_000_042  # 2026-11-18T11:06:40.042Z
    if timestamp < now_ms() - 13 * DAY:  # keep within what put_log_events accepts
        timestamp = now_ms() - DAY
    put_events(logs, "grp", "stream-1", [(timestamp, "hello")])
    out = sync()

    (record,) = out.records_of("grp")
    assert set(record) == {
        "eventId",
        "timestamp",
        "message",
        "logStreamName",
        "ingestionTime",
        "logGroupName",
        "event_time",
        "accountId",
        "awsRegion",
    }
    assert (record["accountId"], record["awsRegion"]) == ("123456789012", "us-east-1")
    assert record["timestamp"] == timestamp
    assert record["message"] == "hello"
    assert record["logStreamName"] == "stream-1"
    assert record["logGroupName"] == "grp"
    expected = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(timestamp // 1000)) + f".{timestamp % 1000:03d}Z"
    assert record["event_time"] == expected


def test_incremental_sync_returns_the_new_events_and_re_checks_from_the_newest_one(logs: Any, sync) -> None:  # type: ignore[no-untyped-def]
    """Each sync re-reads from the newest event delivered (inclusive), so that event repeats with its eventId;
    the events are back-dated two days (far beyond any lookback), so nothing else repeats."""
    first = [(now_ms() - 2 * DAY + i, f"old {i}") for i in range(50)]
    put_events(logs, "g1", "s", first)
    put_events(logs, "g2", "s", first[:10])

    sync1 = sync()
    assert sync1.events_of("g1") == first and sync1.events_of("g2") == first[:10]
    assert sync1.stream_state("g1")["timestamp"] >= first[-1][0] + 1

    time.sleep(0.05)
    new = [(now_ms() - 5 + i, f"new {i}") for i in range(3)]
    put_events(logs, "g1", "s", new)
    time.sleep(0.05)
    sync2 = sync(state=sync1.state)
    assert sync2.returncode == 0
    assert sync2.events_of("g1") == [first[-1], *new]
    assert sync2.events_of("g2") == [first[9]]
    assert sync2.records_of("g2")[0]["eventId"] == sync1.records_of("g2")[-1]["eventId"]

    # The old events were put two days after their timestamps: g1 learned that lag, so its lookback is the
    # most max_lookback_seconds allows (an hour), and the new events, seconds old, are read again.
    assert sync2.stream_state("g1")["ingestion_lag_ms"] > DAY
    sync3 = sync(state=sync2.state)
    assert sync3.events_of("g1") == new and sync3.events_of("g2") == [first[9]]
    assert {s["stream"]["stream_descriptor"]["name"] for s in sync3.state} == {"g1", "g2"}


def test_state_start_is_inclusive(logs: Any, sync) -> None:  # type: ignore[no-untyped-def]
    cut = now_ms() - DAY
    put_events(logs, "g", "s", [(cut - 1, "before"), (cut, "at"), (cut + 1, "after")])
    out = sync(state=[state_entry("g", cut)])

    assert out.events_of("g") == [(cut, "at"), (cut + 1, "after")]
    assert out.stream_state("g")["timestamp"] > cut + 1


def test_events_inside_the_ingestion_delay_wait_for_the_next_sync(logs: Any, sync) -> None:  # type: ignore[no-untyped-def]
    recent = now_ms() - 1000
    put_events(logs, "g", "s", [(recent - 10 * MINUTE, "settled"), (recent, "too recent")])

    sync1 = sync(ingestion_delay_seconds=60)
    assert sync1.events_of("g") == [(recent - 10 * MINUTE, "settled")]
    assert recent - 60_000 <= sync1.stream_state("g")["timestamp"] <= recent

    # The next sync continues where the state says, re-checking from the newest event delivered (the delay is
    # lowered to avoid waiting for it).
    sync2 = sync(state=sync1.state, ingestion_delay_seconds=0)
    assert sync2.events_of("g") == [(recent - 10 * MINUTE, "settled"), (recent, "too recent")]


def test_without_start_date_reads_back_dated_events_of_a_new_group(logs: Any, sync) -> None:  # type: ignore[no-untyped-def]
    """A group created now can hold events timestamped up to 14 days earlier: none may be skipped."""
    events = [(now_ms() - 13 * DAY, "13 days old"), (now_ms() - DAY, "1 day old")]
    put_events(logs, "new-group", "s", events)

    assert sync().events_of("new-group") == sorted(events)


def test_start_date_and_retention_bound_the_first_sync(logs: Any, sync) -> None:  # type: ignore[no-untyped-def]
    now = now_ms()
    events = [(now - 10 * DAY, "10d"), (now - 4 * DAY, "4d"), (now - 2 * DAY, "2d")]
    put_events(logs, "g", "s", events)
    put_events(logs, "short-retention", "s", events)
    logs.put_retention_policy(logGroupName="short-retention", retentionInDays=3)
    start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime((now - 5 * DAY) / 1000))

    out = sync(start_date=start)

    assert out.events_of("g") == [(now - 4 * DAY, "4d"), (now - 2 * DAY, "2d")]
    assert out.events_of("short-retention") == [(now - 2 * DAY, "2d")]


def test_custom_reports_with_stream_names_and_filter_pattern(logs: Any, sync) -> None:  # type: ignore[no-untyped-def]
    base = now_ms() - DAY
    put_events(logs, "api", "web-1", [(base + 1, "GET /a 200"), (base + 2, "GET /b 500 ERROR")])
    put_events(logs, "api", "web-2", [(base + 3, "POST /c 500 ERROR")])
    put_events(logs, "api", "worker", [(base + 4, "job ERROR")])
    reports = [
        {"name": "web_only", "log_group_name": "api", "log_stream_names": ["web-1", "web-2"]},
        {"name": "errors", "log_group_name": "api", "filter_pattern": "ERROR"},
        {"name": "web1_errors", "log_group_name": "api", "log_stream_names": ["web-1"], "filter_pattern": "ERROR"},
    ]
    out = sync(custom_log_reports=reports)

    assert out.events_of("api") == [
        (base + 1, "GET /a 200"),
        (base + 2, "GET /b 500 ERROR"),
        (base + 3, "POST /c 500 ERROR"),
        (base + 4, "job ERROR"),
    ]
    assert out.events_of("web_only") == [
        (base + 1, "GET /a 200"),
        (base + 2, "GET /b 500 ERROR"),
        (base + 3, "POST /c 500 ERROR"),
    ]
    assert out.events_of("errors") == [
        (base + 2, "GET /b 500 ERROR"),
        (base + 3, "POST /c 500 ERROR"),
        (base + 4, "job ERROR"),
    ]
    assert out.events_of("web1_errors") == [(base + 2, "GET /b 500 ERROR")]
    assert all(r["logGroupName"] == "api" for r in out.records_of("errors"))


def test_state_messages_follow_the_records_they_cover(logs: Any, sync) -> None:  # type: ignore[no-untyped-def]
    base = now_ms() - DAY
    for group in ("a", "b", "c", "d"):
        put_events(logs, group, "s", [(base + i, f"{group}{i}") for i in range(500)])
    out = sync()

    seen: Counter[str] = Counter()
    for message in out.messages:
        if message["type"] == "RECORD":
            seen[message["record"]["stream"]] += 1
        elif message["type"] == "STATE":
            stream = message["state"]["stream"]["stream_descriptor"]["name"]
            position = message["state"]["stream"]["stream_state"]["timestamp"]
            if position > base + 499:  # the state covers all of this stream's events
                assert seen[stream] == 500, (stream, seen)


def test_a_full_refresh_resumes_from_the_state_of_its_previous_attempt(logs: Any, sync) -> None:  # type: ignore[no-untyped-def]
    """Streams declare is_resumable: a full refresh given a state (the platform passes the previous attempt's
    state only when it retries an attempt of the same sync) reads from there, not from the start (issue 15,
    item 9). Without a state it reads everything."""
    base = now_ms() - DAY
    events = [(base + i * 1000, f"e{i}") for i in range(10)]
    put_events(logs, "g", "s", events)
    state = [
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": "g"}, "stream_state": {"timestamp": base + 6000}}}
    ]

    resumed = sync(state=state, sync_mode="full_refresh")
    assert resumed.events_of("g") == events[6:]
    assert sync(sync_mode="full_refresh").events_of("g") == events
