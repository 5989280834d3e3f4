"""Pacing, throttling and progress through the real entry point. Faked (testkit/faults.py): the server-side
rate limit answering like AWS (HTTP 400 ThrottlingException "Rate exceeded"), which moto never does."""

from __future__ import annotations

import re
from typing import Any

from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import DAY, logs_client, now_ms, put_events


def seed(fake: FakeCloudWatch, groups: int, events: int) -> dict[str, list[tuple[int, str]]]:
    client = logs_client(fake.url)
    base = now_ms() - DAY
    seeded = {f"g{n}": [(base + i, f"g{n} e{i}") for i in range(events)] for n in range(groups)}
    for name, group_events in seeded.items():
        put_events(client, name, "s", group_events)
    return seeded


def test_throttled_calls_are_retried_until_every_event_is_read(fake: FakeCloudWatch, sync: Any) -> None:
    seeded = seed(fake, groups=6, events=30)
    fake.plan.rate_limits = {"FilterLogEvents": 2}

    out = sync(endpoint_url=fake.url, requests_per_second=50)  # a budget far above the server's quota

    assert out.returncode == 0, out.stderr[-2000:]
    for name, events in seeded.items():
        assert out.events_of(name) == events
    throttled = fake.throttles["FilterLogEvents"]
    assert throttled > 0
    (summary,) = [line for line in out.logs("INFO") if line.startswith("Progress:")]
    assert f"{throttled} throttled" in summary
    assert summary.startswith("Progress: 6/6 streams done, 180 events")


def test_pacing_at_the_quota_avoids_throttling(fake: FakeCloudWatch, sync: Any) -> None:
    seeded = seed(fake, groups=6, events=30)
    fake.plan.rate_limits = {"FilterLogEvents": 3, "DescribeLogGroups": 3}

    out = sync(endpoint_url=fake.url, requests_per_second=3)

    assert out.returncode == 0
    assert sum(len(out.events_of(name)) for name in seeded) == 180
    assert fake.throttles == {}
    assert fake.calls["FilterLogEvents"] == 6  # one call per small group, no probes


def test_progress_lines_per_stream(fake: FakeCloudWatch, sync: Any) -> None:
    client = logs_client(fake.url)
    base = now_ms() - DAY
    put_events(client, "busy", "s", [(base + i, f"e{i}") for i in range(2_500)])
    client.create_log_group(logGroupName="quiet")
    fake.plan.page_event_cap = 1_000

    out = sync(endpoint_url=fake.url)

    lines = out.logs("INFO")
    assert any(
        re.fullmatch(r"Stream 'busy': started, reading time windows of \d+ min up to .*Z\.", line) for line in lines
    )
    # A first sync has no previous state: nothing is late and there is no lookback. The events were put a day
    # after their timestamps: that is the largest lag.
    late = r"; 0 late events found \(below the previous state, ingested after it was read\), largest ingestion lag "
    assert any(
        re.fullmatch(
            rf"Stream 'busy': finished: 2500 events, 3 pages, 1 windows in \d+\.\d s{late}8640\d s, lookback 0 s\.",
            line,
        )
        for line in lines
    ), lines
    assert any(
        re.fullmatch(
            rf"Stream 'quiet': finished: 0 events, 1 pages, 1 windows in \d+\.\d s{late}0 s, lookback 0 s\.", line
        )
        for line in lines
    ), lines


def test_a_neighbour_taking_part_of_the_quota_makes_the_connector_slow_down_and_share(
    fake: FakeCloudWatch, sync: Any
) -> None:
    """Faked: a FilterLogEvents quota of 10/s and a neighbour client of the same account sending 4/s into it
    (testkit/faults.py). The connector's budget is the whole quota (10/s, as for a region's default); it must
    settle near the 6/s that are left: few of its calls throttled, and the neighbour rarely throttled."""
    seeded = seed(fake, groups=6, events=1_200)
    fake.plan.page_event_cap = 100  # 12 pages per group: 72 calls, about 12 s at the 6/s left
    fake.plan.rate_limits = {"FilterLogEvents": 10}
    fake.plan.neighbour_rps = {"FilterLogEvents": 4}

    out = sync(endpoint_url=fake.url, requests_per_second=10)

    assert out.returncode == 0, out.stderr[-2000:]
    for name, events in seeded.items():
        assert out.events_of(name) == events
    calls, throttled = fake.calls["FilterLogEvents"], fake.throttles["FilterLogEvents"]
    stats = fake.stats()
    neighbour_calls = stats["neighbour_calls"]["FilterLogEvents"]
    neighbour_throttled = stats["neighbour_throttles"]["FilterLogEvents"]
    # Without adapting, 10/s into the 6/s left throttles about 40% of the calls (and the neighbour's).
    assert throttled <= 0.15 * calls, (calls, throttled)
    assert neighbour_throttled <= 0.15 * neighbour_calls, (neighbour_calls, neighbour_throttled)
    (summary,) = [line for line in out.logs("INFO") if line.startswith("Progress:")]
    rate = float(
        re.search(
            r"FilterLogEvents [0-9.]+ calls/s over the last [0-9.]+ s \(allowance ([0-9.]+) of 10/s\)", summary
        ).group(1)
    )  # type: ignore[union-attr]
    assert rate < 10, summary
