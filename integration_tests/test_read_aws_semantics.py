"""Reads through the AWS-faithful wrapper around moto (testkit/fake_logs.py, testkit/filter_events.py). Faked here, because moto does
not do it: FilterLogEvents' exclusive endTime, interleaving across log streams, logStreamNamePrefix, empty
pages that still carry a nextToken, pages cut short (the 1 MB cap), and AWS-style event IDs."""

from __future__ import annotations

from typing import Any

from testkit.fake_logs import FakeCloudWatch
from testkit.messages import state_entry
from testkit.seeding import DAY, logs_client, now_ms, put_events


def test_paging_over_empty_and_partial_pages_returns_every_event_once(fake: FakeCloudWatch, sync: Any) -> None:
    client = logs_client(fake.url)
    base = now_ms() - 2 * DAY
    events = {f"s{n}": [(base + i * 3 + n, f"s{n} event {i}") for i in range(8_000)] for n in range(3)}
    # 700 events in one millisecond, straddling page boundaries
    events["s0"] += [(base + 12_000, f"same ms {i}") for i in range(700)]
    for stream, stream_events in events.items():
        put_events(client, "big", stream, stream_events)
    fake.plan.page_event_cap = 2_500
    fake.plan.empty_page_every = 3

    out = sync(endpoint_url=fake.url)

    expected = sorted(e for stream_events in events.values() for e in stream_events)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.events_of("big") == expected
    assert len({r["eventId"] for r in out.records_of("big")}) == len(expected) == 24_700
    calls = [body for op, body in fake.requests if op == "FilterLogEvents"]
    # 10 pages of at most 2,500 events, plus every third page empty (pages 3, 6, 9 and 12): 14 calls, one
    # without a token (the first), all in one window.
    assert len(calls) == 14
    assert sum(1 for body in calls if "nextToken" not in body) == 1


def test_custom_report_with_a_stream_prefix(fake: FakeCloudWatch, sync: Any) -> None:
    client = logs_client(fake.url)
    base = now_ms() - DAY
    put_events(client, "api", "web-1", [(base + 1, "a")])
    put_events(client, "api", "web-2", [(base + 2, "b")])
    put_events(client, "api", "worker-1", [(base + 3, "c")])
    reports = [{"name": "web", "log_group_name": "api", "log_stream_name_prefix": "web-"}]

    out = sync(endpoint_url=fake.url, custom_log_reports=reports)

    assert out.events_of("web") == [(base + 1, "a"), (base + 2, "b")]
    assert out.events_of("api") == [(base + 1, "a"), (base + 2, "b"), (base + 3, "c")]
    (report_call,) = [body for op, body in fake.requests if op == "FilterLogEvents" and "logStreamNamePrefix" in body]
    assert report_call["logStreamNamePrefix"] == "web-"


def test_window_edges_with_an_exclusive_end_lose_nothing(fake: FakeCloudWatch, sync: Any) -> None:
    client = logs_client(fake.url)
    cut = now_ms() - DAY
    put_events(client, "g", "s", [(cut - 1, "before"), (cut, "at the state"), (cut + 1, "after")])
    # The window edges alone, without the late-event sweep: it would find "before" (put a day after its timestamp,
    # below a state that never saw a sweep) and deliver it again (integration_tests/test_sweep.py).
    first = sync(endpoint_url=fake.url, state=[state_entry("g", cut)], late_sweep_span_hours=0)
    put_events(client, "g", "s", [(first.stream_state("g")["timestamp"], "exactly at the previous end")])
    second = sync(endpoint_url=fake.url, state=first.state, late_sweep_span_hours=0)

    assert first.events_of("g") == [(cut, "at the state"), (cut + 1, "after")]
    assert first.stream_state("g")["newest_event_timestamp"] == cut + 1
    # The second sync re-checks from the newest event delivered (inclusive), so "after" repeats.
    assert second.events_of("g") == [
        (cut + 1, "after"),
        (first.stream_state("g")["timestamp"], "exactly at the previous end"),
    ]


def test_a_stream_prefix_report_on_stock_moto_gets_only_its_log_streams(endpoint: str, sync: Any) -> None:
    """Issue 20 principle 1: stock moto (an endpoint the README offers, through LocalStack) ignores
    logStreamNamePrefix and answers every log stream's events; the report still holds only the selected ones."""
    client = logs_client(endpoint)
    base = now_ms() - DAY
    put_events(client, "api", "web-1", [(base + 1, "a")])
    put_events(client, "api", "worker-1", [(base + 3, "c")])
    reports = [{"name": "web", "log_group_name": "api", "log_stream_name_prefix": "web-"}]

    out = sync(custom_log_reports=reports)

    assert out.returncode == 0, out.stderr[-2000:]
    assert out.events_of("web") == [(base + 1, "a")]
    assert out.events_of("api") == [(base + 1, "a"), (base + 3, "c")]
