"""Issue 23: Logs Insights results are downloaded once. GetQueryResults on a Running query answers "only partial
results" (API Reference); the fake (testkit/fake_insights.py) answers them, as many as `maxItems` asks, and
counts every row any answer carried. The connector polls with `maxItems` 1 (insights.POLL_ROWS) and pages the
complete result with `nextToken`: the rows downloaded are the rows delivered, plus at most one per Running poll.
"""

from __future__ import annotations

from pathlib import Path

from testkit.connector import config, configured_catalog, run_connector
from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import DAY, logs_client, now_ms, put_events

BASE = now_ms() - DAY
EVENTS = 25_000  # one query, three pages of GetQueryResults (10,000 rows each at most)


def _seed(fake: FakeCloudWatch) -> list[tuple[int, str]]:
    events = [(BASE + i * 3, f"event {i}") for i in range(EVENTS)]
    client = logs_client(fake.url)
    client.create_log_group(logGroupName="cheap", logGroupClass="INFREQUENT_ACCESS")
    put_events(client, "cheap", "s", events)
    return events


def _read(fake: FakeCloudWatch, tmp_path: Path) -> list[tuple[int, str]]:
    catalog = configured_catalog(run_connector("discover", tmp_path, config(fake.url)).catalog)
    run = run_connector("read", tmp_path, config(fake.url), catalog=catalog)
    assert run.returncode == 0, run.stderr[-3000:]
    return run.events_of("cheap")


def test_a_multi_page_result_is_downloaded_exactly_once(fake: FakeCloudWatch, tmp_path: Path) -> None:
    events = _seed(fake)
    fake.plan.query_seconds = 0.0  # Complete at the first poll: no partial answer at all
    assert _read(fake, tmp_path) == events
    stats = fake.stats()
    assert stats["insights"]["started"] == 1
    assert stats["insights"]["rows_returned"] == EVENTS  # fetched == delivered
    assert stats["calls"]["GetQueryResults"] == 4  # the poll (1 row), then 10,000 + 10,000 + 4,999 rows


def test_polls_of_a_running_query_download_one_row_each_at_most(fake: FakeCloudWatch, tmp_path: Path) -> None:
    events = _seed(fake)
    fake.plan.query_seconds = 2.0  # Scheduled, then Running with a growing share of the rows, then Complete
    assert _read(fake, tmp_path) == events
    statuses = fake.insights.stats.statuses
    assert statuses["Running"] >= 1 and statuses["Complete"] == 4  # the poll that found it Complete, 3 pages
    assert fake.stats()["insights"]["rows_returned"] == EVENTS + statuses["Running"]
    assert fake.stats()["calls"]["GetQueryResults"] == statuses["Scheduled"] + statuses["Running"] + 4
