"""The late-event sweep's plan (sweep.py): when a stream is due, what it asks, what it re-reads, when its state
says it was swept, and what it reports. The queries are stubbed here; integration_tests/test_sweep.py runs them
against the fake."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from airbyte_cdk.sources.message import InMemoryMessageRepository

from source_cloudwatch_logs.aws.errors import CallFailed, Fault
from source_cloudwatch_logs.aws.insights import QueryResult, QuerySpec
from source_cloudwatch_logs.aws.insights_events import InsightsSource
from source_cloudwatch_logs.aws.log_events import EventQuery, FilterLogEventsWindows, LogEvents
from source_cloudwatch_logs.aws.pacing import ApiStats, InFlight
from source_cloudwatch_logs.discovery import StreamDefinition
from source_cloudwatch_logs.output import PlainRecords
from source_cloudwatch_logs.progress import SyncProgress
from source_cloudwatch_logs.spec import parse_config
from source_cloudwatch_logs.state import StreamPosition
from source_cloudwatch_logs.streams import LateEvents, StreamContext
from source_cloudwatch_logs.sweep import (
    HOUR_MS,
    MAX_LOG_STREAMS,
    VISIBILITY_MARGIN_MS,
    Sweep,
    SweepPartition,
    SweepSettings,
    due,
)
from unit_tests.conftest import NOW, group, stub_logs

SETTINGS = SweepSettings(interval_ms=24 * HOUR_MS, span_ms=48 * HOUR_MS, min_lag_ms=300_000)
RESUME = NOW - 600_000


def definition(name: str = "g", **fields: Any) -> StreamDefinition:
    return StreamDefinition.of_group(group(name, arn=f"arn:aws:logs:us-east-1:123456789012:log-group:{name}", **fields))


class Insights:
    """Answers every sweep query with `rows` (or raises `error`)."""

    def __init__(self, rows: list[dict[str, str]] | None = None, error: Exception | None = None) -> None:
        self.rows, self.error, self.specs = rows or [], error, []  # type: ignore[var-annotated]

    def run(self, spec: QuerySpec, **_: Any) -> QueryResult:
        self.specs.append(spec)
        if self.error is not None:
            raise self.error
        return QueryResult(rows=self.rows, records_matched=len(self.rows), bytes_scanned=4_000_000_000)


def row(stream: str, first: int, last: int, count: int = 1, group_name: str = "g") -> dict[str, str]:
    return {
        "@log": f"123456789012:{group_name}",
        "@logStream": stream,
        "late_events": str(count),
        "first_ts": str(first),
        "last_ts": str(last),
    }


def context(
    definition: StreamDefinition,
    source: Any = None,
    pages: list[Any] | None = None,
    repository: InMemoryMessageRepository | None = None,
) -> StreamContext:
    repository = repository or InMemoryMessageRepository()
    logs, _ = stub_logs(pages or [])
    return StreamContext(
        definition=definition,
        source=source
        or FilterLogEventsWindows(events=LogEvents(logs=logs), query=EventQuery(log_group="g"), stream="g"),
        late=LateEvents(stream="g", previous=None, delay_ms=0, cap_ms=0, repository=repository),
        progress=SyncProgress(repository, ApiStats(), total_streams=1),
        output=PlainRecords(),
        lookback_ms=0,
        in_flight=InFlight(limiter=None, stats=ApiStats(), operation="FilterLogEvents", upper=2),
    )


def test_settings_come_from_the_config_and_a_stream_is_due_every_interval() -> None:
    config = parse_config({"region_name": "us-east-1", "lookback_window_seconds": 60})
    assert SweepSettings.of(config) == SweepSettings(24 * HOUR_MS, 48 * HOUR_MS, (300 + 60) * 1000)
    swept = StreamPosition(watermark_ms=NOW, swept_at_ms=NOW - 24 * HOUR_MS, swept_to_ms=NOW - 24 * HOUR_MS)
    assert due(swept, SETTINGS, NOW)
    assert not due(swept, SETTINGS, NOW - 1)
    assert due(StreamPosition(watermark_ms=NOW), SETTINGS, NOW)  # an older state: never swept
    assert not due(None, SETTINGS, NOW)  # read from its start anyway
    assert not due(StreamPosition(watermark_ms=NOW), replace(SETTINGS, span_ms=0), NOW)
    assert due(replace(swept, swept_at_ms=NOW), replace(SETTINGS, interval_ms=0), NOW)


def test_a_stream_never_swept_asks_the_spans_ingestion_window_below_where_its_windows_begin() -> None:
    sweep = Sweep(settings=SETTINGS, insights=None, now_ms=NOW)
    stream = sweep.register(
        definition=definition(), position=StreamPosition(watermark_ms=NOW), resume_ms=RESUME, floor_ms=0
    )
    assert stream is not None and stream.target is not None
    target = stream.target
    assert (target.from_ms, target.to_ms) == (NOW - 48 * HOUR_MS, RESUME)
    assert target.ingested_from_ms == NOW - 48 * HOUR_MS - VISIBILITY_MARGIN_MS
    assert target.identifier == "arn:aws:logs:us-east-1:123456789012:log-group:g" and target.account == "123456789012"
    swept = StreamPosition(watermark_ms=NOW, swept_at_ms=NOW - 25 * HOUR_MS, swept_to_ms=NOW - 25 * HOUR_MS)
    again = sweep.register(definition=definition("h"), position=swept, resume_ms=RESUME, floor_ms=NOW - HOUR_MS)
    assert again is not None and again.target is not None
    assert again.target.ingested_from_ms == NOW - 25 * HOUR_MS  # the mark already holds the margin
    assert again.target.from_ms == NOW - HOUR_MS  # never before what the stream may read (start_date)


def test_the_state_says_swept_only_once_every_re_read_is_done() -> None:
    insights = Insights([row("a", NOW - 5 * HOUR_MS, NOW - 4 * HOUR_MS, 7)])
    sweep = Sweep(settings=SETTINGS, insights=insights, now_ms=NOW)  # type: ignore[arg-type]
    position = StreamPosition(
        watermark_ms=NOW - 300_000, swept_at_ms=NOW - 30 * HOUR_MS, swept_to_ms=NOW - 30 * HOUR_MS
    )
    stream = sweep.register(definition=definition(), position=position, resume_ms=RESUME, floor_ms=0)
    assert stream is not None
    assert list(sweep.run()) == []
    (partition,) = stream.partitions(context(definition()))
    assert isinstance(partition, SweepPartition) and stream.owns(partition)
    assert (
        partition.to_slice()["start_time"] == NOW - 5 * HOUR_MS
        and partition.to_slice()["end_time"] == NOW - 4 * HOUR_MS + 1
    )
    assert stream.marked(position) == position  # a crash now sweeps the same window again
    stream.partition_done(partition)
    # the next sweep looks again at what was ingested in the margin before this one (Insights may not see it yet)
    assert stream.marked(position) == replace(position, swept_at_ms=NOW, swept_to_ms=NOW - VISIBILITY_MARGIN_MS)


def test_a_re_read_finishing_last_is_counted_in_the_streams_finished_line() -> None:
    # The re-read is the stream's only window here, so it is the last to finish, as it was in a CI run where the
    # finished line said "0 late events" because the re-read counted its findings after reporting its window done.
    late = NOW - 5 * HOUR_MS
    insights = Insights([row("a", late, late + 60_000, 2)])
    sweep = Sweep(settings=SETTINGS, insights=insights, now_ms=NOW)  # type: ignore[arg-type]
    stream = sweep.register(
        definition=definition(), position=StreamPosition(watermark_ms=NOW), resume_ms=RESUME, floor_ms=0
    )
    assert stream is not None
    list(sweep.run())
    events = [
        {
            "eventId": f"e{n}",
            "logStreamName": "a",
            "timestamp": late + n * 60_000,
            "ingestionTime": NOW - HOUR_MS,
            "message": f"m{n}",
        }
        for n in range(2)
    ]
    repository = InMemoryMessageRepository()
    (partition,) = stream.partitions(context(definition(), pages=[{"events": events}], repository=repository))
    partition._context.progress.stream_started("g", "1 window")
    partition._context.progress.add_note("g", stream.describe)  # as streams.py does
    partition._context.progress.windows_planned("g", 1)
    assert [r.data["message"] for r in partition.read()] == ["m0", "m1"]
    finished = [m.log.message for m in repository.consume_queue() if ": finished: " in m.log.message]  # type: ignore[union-attr]
    assert len(finished) == 1 and finished[0].endswith(
        "; late-event sweep: 1 log streams with 2 late events beyond the lookback, largest lag 4.0 h, 1 re-read calls."
    ), finished


def test_a_first_read_is_marked_swept_and_a_stream_not_due_keeps_its_marks_and_says_when() -> None:
    sweep = Sweep(settings=SETTINGS, insights=Insights(), now_ms=NOW)  # type: ignore[arg-type]
    first = sweep.register(definition=definition(), position=None, resume_ms=0, floor_ms=0)
    assert first is not None and first.partitions(context(definition())) == []
    assert first.marked(StreamPosition(watermark_ms=5)) == StreamPosition(
        watermark_ms=5, swept_at_ms=NOW, swept_to_ms=NOW
    )
    recent = StreamPosition(watermark_ms=NOW, swept_at_ms=NOW - HOUR_MS, swept_to_ms=NOW - HOUR_MS)
    later = sweep.register(definition=definition("h"), position=recent, resume_ms=RESUME, floor_ms=0)
    assert later is not None and later.marked(recent) == recent
    assert later.describe() == "; late-event sweep not due; next sweep at or after 2026-11-19T10:06:40.000Z"
    assert list(sweep.run()) == []  # nothing due: no query
    assert sweep.summary() == "Late-event sweep: none due in this sync; the next is due at 2026-11-19T10:06:40.000Z."
    off = Sweep(settings=replace(SETTINGS, span_ms=0), insights=None, now_ms=NOW)
    assert off.register(definition=definition(), position=recent, resume_ms=RESUME, floor_ms=0) is None
    assert off.summary() == "Late-event sweep: off (late_sweep_span_hours is 0)."


def test_late_log_streams_are_re_read_100_a_call_or_in_merged_ranges_by_a_logs_insights_reader() -> None:
    rows = [row(f"s{n:03}", NOW - 10 * HOUR_MS + n, NOW - 9 * HOUR_MS + n) for n in range(150)]
    sweep = Sweep(settings=SETTINGS, insights=Insights(rows), now_ms=NOW)  # type: ignore[arg-type]
    position = StreamPosition(watermark_ms=NOW)
    stream = sweep.register(definition=definition(), position=position, resume_ms=RESUME, floor_ms=0)
    assert stream is not None
    list(sweep.run())
    partitions = stream.partitions(context(definition()))
    names = [p._context.source.source.query.log_stream_names for p in partitions]
    assert [len(n) for n in names] == [MAX_LOG_STREAMS, 50]
    assert sorted(n for batch in names for n in batch) == [f"s{n:03}" for n in range(150)]
    assert [(p.to_slice()["start_time"], p.to_slice()["end_time"]) for p in partitions] == [
        (NOW - 10 * HOUR_MS, NOW - 9 * HOUR_MS + 100),
        (NOW - 10 * HOUR_MS + 100, NOW - 9 * HOUR_MS + 150),
    ]
    insights_source = InsightsSource(groups=("g",))
    merged = stream.partitions(context(definition(), source=insights_source))
    assert [(p.to_slice()["start_time"], p.to_slice()["end_time"]) for p in merged] == [
        (NOW - 10 * HOUR_MS, NOW - 9 * HOUR_MS + 150)
    ]


def test_without_permission_the_sweep_warns_once_naming_the_actions_and_the_marks_stay() -> None:
    denied = CallFailed(
        "Stream 'g': AccessDenied",
        internal_message="logs:StartQuery: ClientError AccessDeniedException",
        fault=Fault.CONFIG,
    )
    sweep = Sweep(settings=SETTINGS, insights=Insights(error=denied), now_ms=NOW)  # type: ignore[arg-type]
    position = StreamPosition(watermark_ms=NOW)
    streams = [
        sweep.register(definition=definition(name), position=position, resume_ms=RESUME, floor_ms=0) for name in "gh"
    ]
    (warning,) = [m.log.message for m in sweep.run()]  # type: ignore[union-attr]
    assert warning == (
        "The late-event sweep did not run (no permission for logs:StartQuery and logs:GetQueryResults): events "
        "that arrive later than the lookback covers are not looked for in this sync; the sync goes on. Allow "
        "logs:StartQuery and logs:GetQueryResults to the connector's credentials to turn it on, or set "
        "late_sweep_span_hours to 0 to turn it off."
    )
    for stream in streams:
        assert stream is not None and stream.marked(position) == position
        assert (
            stream.describe()
            == "; late-event sweep skipped (no permission for logs:StartQuery and logs:GetQueryResults)"
        )
    assert sweep.summary() == (
        "Late-event sweep: skipped (no permission for logs:StartQuery and logs:GetQueryResults); the next sync tries "
        "again."
    )
