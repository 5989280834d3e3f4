"""A window's events become records: the fields added, the window they belong to, late events reported.
The API is a stub here (see conftest.StubClient)."""

from __future__ import annotations

from typing import Any

from airbyte_cdk.models import Level
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.types import StreamSlice

from source_cloudwatch_logs.aws.log_events import LogEvents
from source_cloudwatch_logs.aws.pacing import ApiStats, InFlight
from source_cloudwatch_logs.aws.windows import Readers
from source_cloudwatch_logs.cursor import WindowFindings
from source_cloudwatch_logs.discovery import StreamDefinition
from source_cloudwatch_logs.group_warnings import GroupWarnings
from source_cloudwatch_logs.output import PlainRecords
from source_cloudwatch_logs.progress import SyncProgress
from source_cloudwatch_logs.ranges import DAY_MS
from source_cloudwatch_logs.state import StreamPosition
from source_cloudwatch_logs.streams import LateEvents, LogEventsPartition, StreamContext, build_stream
from unit_tests.conftest import END, NOW, START, event, group, stub_logs, sync_plan


def partition(  # type: ignore[no-untyped-def]
    pages: list[Any],
    definition: StreamDefinition | None = None,
    delay_s: int = 300,
    cap_s: int = 3600,
    previous: StreamPosition | None = None,
):
    definition = definition or StreamDefinition.of_group(group())
    repository = InMemoryMessageRepository()
    late = LateEvents(
        stream=definition.name, previous=previous, delay_ms=delay_s * 1000, cap_ms=cap_s * 1000, repository=repository
    )
    context = StreamContext(
        definition=definition,
        source=definition.source(Readers(events=LogEvents(logs=stub_logs(pages)[0]), insights=None)),  # type: ignore[arg-type]
        late=late,
        progress=SyncProgress(repository, ApiStats(), total_streams=1),
        output=PlainRecords(),
        lookback_ms=1_500_000,
        in_flight=InFlight(limiter=None, stats=ApiStats(), operation="FilterLogEvents", upper=2),
        region="eu-west-1",
    )
    context.progress.stream_started(definition.name, "one window", lookback_ms=1_500_000)
    context.progress.windows_planned(definition.name, 1)
    list(repository.consume_queue())
    window = StreamSlice(partition={}, cursor_slice={"start_time": START, "end_time": END})
    return LogEventsPartition(context, window), repository


def test_records_gain_group_account_region_and_iso_time_and_keep_the_api_fields() -> None:
    arn = "arn:aws:logs:eu-west-1:210987654321:log-group:g"
    window, _ = partition([{"events": [event(START + 42, 1)]}], StreamDefinition.of_group(group(arn=arn)))
    (record,) = window.read()
    assert dict(record.data) == {
        **event(START + 42, 1),
        "logGroupName": "g",
        "event_time": "2026-11-18T11:06:40.042Z",
        "accountId": "210987654321",
        "awsRegion": "eu-west-1",
    }
    assert record.associated_slice is window.to_slice() and record.stream_name == "g"


def test_lags_beyond_the_cap_are_warned_once_per_new_maximum() -> None:
    window, repository = partition(
        [
            {"events": [event(START, 1, lag=3_800_000), event(START + 1, 2, lag=4_000_500)]},
            {"events": [event(START, 3, lag=3_950_000)]},
        ],
        delay_s=300,
        cap_s=3600,
    )
    list(window.read())
    list(window.read())  # a smaller maximum later is not reported again
    warnings = [m.log.message for m in repository.consume_queue() if m.log.level == Level.WARN]  # type: ignore[union-attr]
    assert warnings == [
        "Stream 'g': an event became visible 4000 s after its timestamp, later than max_lookback_seconds (3600) plus "
        "ingestion_delay_seconds (300) cover. Events this late are read only when the log group is quiet around "
        "their timestamp: raise max_lookback_seconds to at least 3701 (at most 1209600) to read them all, at the "
        "cost of re-reading that span every sync."
    ]


def test_a_merged_streams_groups_late_events_are_one_warning_naming_the_groups() -> None:
    """Issue 23: 150 groups of a merged stream each find an event later than the lookback covers: one line, said
    when the stream ends, naming the first three groups and counting the others, with the largest lag."""
    repository = InMemoryMessageRepository()
    warnings = GroupWarnings(repository=repository)
    for n in range(150):
        late = LateEvents(
            stream="merged_all", previous=None, delay_ms=300_000, cap_ms=3_600_000, repository=repository,
            group_warnings=warnings, group=f"/app/{n:03d}",
        )  # fmt: skip
        late.window_done(3_950_000 + n * 1000)
        late.window_done(3_900_000)  # covered
    assert list(repository.consume_queue()) == []  # nothing before the stream ends
    warnings.say()
    assert [(m.log.level, m.log.message) for m in repository.consume_queue()] == [  # type: ignore[union-attr]
        (
            Level.WARN,
            "Stream 'merged_all': events became visible up to 4099 s after their timestamp in 150 log groups: "
            "'/app/000', '/app/001', '/app/002' and 147 more, later than max_lookback_seconds (3600) plus "
            "ingestion_delay_seconds (300) cover. Events this late are read only when the log group is quiet around "
            "their timestamp: raise max_lookback_seconds to at least 3799 (at most 1209600) to read them all, at the "
            "cost of re-reading that span every sync.",
        )
    ]


def test_lags_the_lookback_covers_are_not_warned() -> None:
    window, repository = partition([{"events": [event(START, 1, lag=3_900_000)]}], delay_s=300, cap_s=3600)
    list(window.read())
    assert [m for m in repository.consume_queue() if m.log.level == Level.WARN] == []  # type: ignore[union-attr]


def test_a_window_reports_its_newest_event_and_largest_lag_and_the_summary_counts_late_events() -> None:
    previous = StreamPosition(watermark_ms=START + 100, newest_ms=START + 10, lag_ms=0)
    # Below the previous watermark: 1 was there when the previous sync read (ingested before START+100+300 s),
    # 2 and 3 were not: they are late finds. 4 is above the watermark: new, not late.
    window, repository = partition(
        [
            {"events": [event(START + 10, 1, lag=1_000), event(START + 20, 2, lag=700_000)], "nextToken": "t"},
            {"events": [event(START + 99, 3, lag=300_002), event(START + 150, 4, lag=5)]},
        ],
        previous=previous,
    )
    assert window.findings == WindowFindings()
    assert len(list(window.read())) == 4
    assert window.findings == WindowFindings(newest_ms=START + 150, max_lag_ms=700_000)
    lines = [m.log.message for m in repository.consume_queue()]  # type: ignore[union-attr]
    assert lines[-1].startswith("Stream 'g': finished: 4 events, 2 pages, 1 windows in ")
    assert lines[-1].endswith(
        "; 2 late events found (below the previous state, ingested after it was read), largest ingestion lag 700 s, "
        "lookback 1500 s."
    )


def test_an_empty_window_finds_nothing() -> None:
    window, _ = partition([{"events": []}])
    assert list(window.read()) == []
    assert window.findings == WindowFindings(newest_ms=None, max_lag_ms=0)


def test_partitions_hash_by_stream_and_window() -> None:
    plan = sync_plan(now_ms=NOW, end_ms=NOW - 60_000)
    definition = StreamDefinition.of_group(group(creation_ms=NOW - 20 * DAY_MS))
    position = StreamPosition(watermark_ms=NOW - DAY_MS)
    (partition,) = build_stream(definition=definition, position=position, plan=plan).generate_partitions()
    assert isinstance(partition, LogEventsPartition)
    (again,) = build_stream(definition=definition, position=position, plan=plan).generate_partitions()
    assert hash(partition) == hash(again)
    assert partition.stream_name() == "g"
