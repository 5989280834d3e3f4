"""Progress lines: one when a stream starts, one when its last window is done, and a periodic summary."""

from __future__ import annotations

from airbyte_cdk.sources.message import InMemoryMessageRepository

from source_cloudwatch_logs.aws.pacing import ApiStats
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
