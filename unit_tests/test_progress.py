"""Progress lines: one when a stream starts, one when its last window is done, and a periodic summary."""

from __future__ import annotations

from airbyte_cdk.sources.message import InMemoryMessageRepository

from source_cloudwatch_logs.aws.pacing import ApiStats, RateLimiter
from source_cloudwatch_logs.progress import SyncProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def lines(repository: InMemoryMessageRepository) -> list[str]:
    return [m.log.message for m in repository.consume_queue()]  # type: ignore[union-attr]


def test_a_stream_is_finished_when_all_its_planned_windows_are_done() -> None:
    clock, repository, stats = Clock(), InMemoryMessageRepository(), ApiStats()
    progress = SyncProgress(repository, stats, total_streams=2, clock=clock, every_seconds=30)
    progress.stream_started("g", "2 windows", lookback_ms=1_260_000)
    progress.page_done("g", 10)
    progress.window_done("g", late_events=3, max_lag_ms=912_400)
    progress.page_done("g", 5)
    progress.window_done("g", late_events=1, max_lag_ms=20_000)  # windows still being generated: not finished yet
    clock.now += 2.5
    progress.windows_planned("g", 2)
    assert lines(repository) == [
        "Stream 'g': started, reading 2 windows.",
        "Stream 'g': finished: 15 events, 2 pages, 2 windows in 2.5 s; 4 late events found (below the previous "
        "state, ingested after it was read), largest ingestion lag 912 s, lookback 1260 s.",
    ]
    stats.count(stats.calls, "FilterLogEvents")
    stats.count(stats.throttles, "FilterLogEvents")
    clock.now += 30
    progress.stream_started("h", "1 window")
    progress.page_done("h", 1)  # 30 s since the last summary
    assert lines(repository) == [
        "Stream 'h': started, reading 1 window.",
        "Progress: 1/2 streams done, 16 events (0/s) in 32.5 s, 1 API calls, 1 throttled, 0 other failed attempts.",
    ]


def test_the_summary_shows_each_operations_achieved_rate_next_to_its_allowance() -> None:
    """Issue 23: an Infrequent Access sync that made one FilterLogEvents call showed `FilterLogEvents at 25.0 of
    25/s`, the allowance read as a rate. The rate shown is the calls made since the previous line, over its
    seconds; an operation without calls in that interval is left out."""
    clock, repository, stats = Clock(), InMemoryMessageRepository(), ApiStats()
    limiters = {"FilterLogEvents": RateLimiter(25, clock=clock), "StartQuery": RateLimiter(10, clock=clock)}
    progress = SyncProgress(repository, stats, total_streams=1, clock=clock, every_seconds=30, limiters=limiters)
    stats.count(stats.calls, "FilterLogEvents")
    stats.answered("FilterLogEvents", 0.3)
    clock.now += 12.5
    assert progress.summary() == (
        "Progress: 0/1 streams done, 0 events (0/s) in 12.5 s, 1 API calls, 0 throttled, 0 other failed attempts; "
        "FilterLogEvents 0.1 calls/s over the last 12.5 s (allowance 25.0 of 25/s), 300 ms per call, 0.0 in flight, "
        "0.0 s waited."
    )
    for _ in range(40):
        stats.count(stats.calls, "StartQuery")
        stats.answered("StartQuery", 0.08)
    limiters["StartQuery"].throttled()  # the allowance drops to 75% of the budget (pacing.DECREASE)
    clock.now += 5
    assert progress.summary() == (
        "Progress: 0/1 streams done, 0 events (0/s) in 17.5 s, 41 API calls, 0 throttled, 0 other failed attempts; "
        "StartQuery 8.0 calls/s over the last 5.0 s (allowance 7.5 of 10/s), 80 ms per call, 0.6 in flight, "
        "0.0 s waited."
    )
    clock.now += 1
    assert progress.summary() == (
        "Progress: 0/1 streams done, 0 events (0/s) in 18.5 s, 41 API calls, 0 throttled, 0 other failed attempts."
    )
