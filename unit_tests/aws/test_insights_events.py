"""Reading a window with Logs Insights: whole milliseconds, split where a result was cut, stable keys. The
queries are answered by a stub that applies the window's bounds to a list of events, as AWS would."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from source_cloudwatch_logs.aws.errors import AwsError, Fault
from source_cloudwatch_logs.aws.insights import QueryResult, QuerySpec
from source_cloudwatch_logs.aws.insights_events import (
    MAX_CROWDED_LOG_STREAMS,
    InsightsEvents,
    InsightsSource,
    insights_ms,
)
from source_cloudwatch_logs.records import CONNECTOR_COLUMNS

Row = dict[str, str]


def stamp(ms: int) -> str:
    return f"1970-01-01 00:00:{ms // 1000:02d}.{ms % 1000:03d}"


class Insights:
    """Answers `run` from `events` (ms, log stream, message): the rows in the query's window (and log stream),
    ascending, at most `cap`; `recordsMatched` the true count. Counts log streams for a stats query."""

    def __init__(self, events: list[tuple[int, str, str]], cap: int) -> None:
        self.events, self.cap = events, cap
        self.texts: list[str] = []
        self.scanned: list[tuple[str, int]] = []

    def run(self, spec: QuerySpec, *, stream: str, log_group: str, field: str | None = None) -> QueryResult:
        self.texts.append(spec.text)
        if "stats" in spec.text:
            at = int(re.search(r"= (\d+)", spec.text).group(1))  # type: ignore[union-attr]
            counts = Counter(s for ms, s, _ in self.events if ms == at)
            return QueryResult(
                rows=[{"@logStream": s, "events": str(n)} for s, n in sorted(counts.items())],
                records_matched=sum(counts.values()),
                bytes_scanned=5,
            )
        low, high = (int(n) for n in re.findall(r"toMillis\(@timestamp\) [<>]=? (\d+)", spec.text))
        only = re.search(r'@logStream = "(\w+)"', spec.text)
        matched = [e for e in sorted(self.events) if low <= e[0] < high and (not only or e[1] == only.group(1))]
        rows = [
            {"@timestamp": stamp(ms), "@logStream": s, "@ingestionTime": stamp(ms), "@message": m, "@ptr": "x"}
            for ms, s, m in matched[: self.cap]
        ]
        return QueryResult(rows=rows, records_matched=len(matched), bytes_scanned=10)


def read(
    events: list[tuple[int, str, str]], cap: int, start: int = 0, end: int = 60_000
) -> tuple[list[dict[str, Any]], Insights]:
    stub = Insights(events, cap)
    reader = InsightsEvents(insights=stub, scanned=lambda s, b: stub.scanned.append((s, b)))  # type: ignore[arg-type]
    pages = list(reader.window(InsightsSource(groups=("g",)), start, end, stream="s"))
    return [event for page in pages for event in page], stub


def test_an_uncut_window_is_one_query() -> None:
    events = [(i * 10, "a", f"m{i}") for i in range(5)]
    got, stub = read(events, cap=10)
    assert [(e["timestamp"], e["logStreamName"], e["message"]) for e in got] == events
    assert len(stub.texts) == 1
    assert stub.scanned == [("s", 10)]


def test_a_cut_result_keeps_whole_milliseconds_and_goes_on_from_the_last_one() -> None:
    events = [(i // 2, "a", f"m{i}") for i in range(9)]  # two events a millisecond
    got, stub = read(events, cap=3)
    assert sorted((e["timestamp"], e["message"]) for e in got) == sorted((ms, m) for ms, _, m in events)
    assert len(got) == 9
    starts = [int(re.search(r">= (\d+)", text).group(1)) for text in stub.texts]  # type: ignore[union-attr]
    assert starts == [0, 1, 2, 3]  # the last query holds 3, 3 and 4: all it matched


def test_a_crowded_millisecond_is_read_log_stream_by_log_stream() -> None:
    events = [(5, stream, f"{stream}{i}") for stream in ("a", "b", "c") for i in range(3)] + [(6, "a", "after")]
    got, stub = read(events, cap=4)
    assert sorted(e["message"] for e in got) == sorted(m for _, _, m in events)
    assert any("stats count(*)" in text for text in stub.texts)


def test_a_log_stream_over_the_cap_in_one_millisecond_cannot_be_read() -> None:
    with pytest.raises(AwsError) as raised:
        read([(5, "a", f"m{i}") for i in range(5)], cap=4)
    assert "log stream 'a' holds 5 events in the one millisecond 1970-01-01T00:00:00.005Z" in str(raised.value.message)


def test_keys_are_the_same_on_every_read_and_identical_events_are_numbered() -> None:
    events = [(5, "a", "same"), (5, "a", "same"), (5, "b", "same"), (7, "a", "other")]
    first, _ = read(events, cap=10)
    second, _ = read(list(reversed(events)), cap=2)  # another order, and cut into other queries
    keys = sorted(e["eventId"] for e in first)
    assert keys == sorted(e["eventId"] for e in second)
    assert len(set(keys)) == 4
    assert sum(key.endswith("-1") for key in keys) == 1  # the second identical event of stream a


def test_insights_times_are_utc_milliseconds() -> None:
    assert insights_ms("2026-11-30 19:40:26.123") == 1_796_067_626_123
    assert insights_ms("1970-01-01 00:00:01.5") == 1_500
    assert insights_ms("1970-01-01 00:00:01") == 1_000


def test_report_rows_map_the_event_fields_and_type_their_numbers() -> None:
    row: Row = {
        "@timestamp": stamp(1),
        "@logStream": "a",
        "@ingestionTime": stamp(2),
        "status": "503",
        "ratio": "0.5",
        "path": "/x",
        "@message": "m",
        "@ptr": "p",
    }
    source = InsightsSource(groups=("g",), report_query="x", numeric=frozenset({"status", "ratio"}))
    event = InsightsEvents._event(row, source)
    assert event == {
        "timestamp": 1,
        "logStreamName": "a",
        "ingestionTime": 2,
        "status": 503,
        "ratio": 0.5,
        "path": "/x",
        "message": "m",
    }
    assert InsightsEvents._event({**row, "status": "n/a"}, source)["status"] is None


# Issue 20: an answer is verified before it is relied on.


class Scripted:
    """Answers `run` with the next scripted result, whatever the query; records the query texts."""

    def __init__(self, results: list[QueryResult]) -> None:
        self.results, self.texts = results, []  # type: list[QueryResult], list[str]

    def run(self, spec: QuerySpec, *, stream: str, log_group: str, field: str | None = None) -> QueryResult:
        self.texts.append(spec.text)
        return self.results.pop(0)


def event_row(ms: int, log_stream: str = "a", message: str = "m") -> Row:
    return {"@timestamp": stamp(ms), "@logStream": log_stream, "@ingestionTime": stamp(ms), "@message": message}


def scripted_read(results: list[QueryResult], start: int = 5, end: int = 60_000) -> Scripted:
    stub = Scripted(results)
    reader = InsightsEvents(insights=stub)  # type: ignore[arg-type]
    for _ in reader.window(InsightsSource(groups=("g",)), start, end, stream="s"):
        pass
    return stub


def refused(results: list[QueryResult], start: int = 5, end: int = 60_000) -> str:
    with pytest.raises(AwsError) as raised:
        scripted_read(results, start, end)
    assert raised.value.fault == Fault.SYSTEM
    return str(raised.value.message)


def test_rows_out_of_time_order_are_an_error_naming_the_stream() -> None:
    newest_first = [event_row(ms) for ms in (30, 20, 10)]
    message = refused([QueryResult(rows=newest_first, records_matched=5, bytes_scanned=1)], start=0)
    assert message == (
        "Stream 's': Logs Insights answered the query of 1970-01-01T00:00:00.000Z to 1970-01-01T00:01:00.000Z "
        "with a row of 1970-01-01T00:00:00.020Z after one of 1970-01-01T00:00:00.030Z, although the query sorts "
        "them in ascending time order: the answer cannot be relied on to hold the window's first events, so none "
        "of it is delivered. Run the sync again; if this persists, the endpoint does not answer Logs Insights "
        "queries as AWS documents (check endpoint_url) or the connector composed a wrong query: report it."
    )


def test_a_row_without_the_fields_the_connector_needs_is_an_error_naming_the_stream() -> None:
    row = event_row(10)
    del row["@ingestionTime"]
    message = refused([QueryResult(rows=[row], records_matched=1, bytes_scanned=1)], start=0)
    assert message.startswith(
        "Stream 's': Logs Insights answered the query of 1970-01-01T00:00:00.000Z to 1970-01-01T00:01:00.000Z "
        "with a row without @ingestionTime (its fields: @timestamp, @logStream, @message)"
    )
    unreadable = {**event_row(10), "@timestamp": "yesterday"}
    message = refused([QueryResult(rows=[unreadable], records_matched=1, bytes_scanned=1)])
    assert "with a row whose @timestamp 'yesterday' is not a time" in message


def test_a_row_outside_the_window_is_an_error_naming_the_stream() -> None:
    message = refused([QueryResult(rows=[event_row(10), event_row(70_000)], records_matched=2, bytes_scanned=1)])
    assert "with a row of 1970-01-01T00:01:10.000Z, outside the window asked" in message


def test_a_cut_answer_without_rows_is_an_error() -> None:
    message = refused([QueryResult(rows=[], records_matched=3, bytes_scanned=1)])
    assert "with no row although it says 3 events matched" in message


def test_a_per_log_stream_count_that_is_not_a_count_is_an_error_after_one_query() -> None:
    crowded = [event_row(5, "a", f"m{i}") for i in range(4)]
    # The count query answered event rows (a `stats` lost to a comment would do that): never a query per row.
    message = refused(
        [
            QueryResult(rows=crowded, records_matched=9, bytes_scanned=1),
            QueryResult(rows=crowded, records_matched=9, bytes_scanned=1),
        ]
    )
    assert message.startswith(
        "Stream 's': Logs Insights answered the count of events per log stream in the millisecond "
        "1970-01-01T00:00:00.005Z with a row of the fields @timestamp, @logStream, @ingestionTime, @message "
        "instead of @logStream and events"
    )


@pytest.mark.parametrize(
    ("counts", "problem"),
    [
        ([("a", "2"), ("a", "2")], "log stream 'a' twice"),
        ([("a", "2"), ("b", "x")], "a count 'x' that is not a positive whole number"),
        ([("a", "1"), ("b", "1")], "counts adding up to 2, fewer than the 4 events it already returned there"),
        ([("a", "4"), ("b", "1")], "counts adding up to 5, fewer than the 9 events it says matched: it is cut"),
    ],
)
def test_a_per_log_stream_count_must_be_a_real_count(counts: list[tuple[str, str]], problem: str) -> None:
    crowded = [event_row(5, "a", f"m{i}") for i in range(4)]
    rows = [{"@logStream": name, "events": n} for name, n in counts]
    stub_results = [
        QueryResult(rows=crowded, records_matched=9, bytes_scanned=1),
        QueryResult(rows=rows, records_matched=9, bytes_scanned=1),
    ]
    message = refused(stub_results)
    assert problem in message


def test_too_many_log_streams_in_one_millisecond_is_an_error_before_reading_them() -> None:
    crowded = [event_row(5, "a", f"m{i}") for i in range(4)]
    rows = [{"@logStream": f"s{i}", "events": "1"} for i in range(MAX_CROWDED_LOG_STREAMS + 1)]
    stub_results = [
        QueryResult(rows=crowded, records_matched=9, bytes_scanned=1),
        QueryResult(rows=rows, records_matched=len(rows), bytes_scanned=1),
    ]
    message = refused(stub_results)
    assert f"{MAX_CROWDED_LOG_STREAMS + 1} log streams" in message


def test_report_fields_named_like_the_connectors_columns_keep_the_columns_intact() -> None:
    row = {**event_row(1), "timestamp": "2026-11-30T00:00:00Z", "eventId": "mine", "level": "INFO", "@ptr": "p"}
    source = InsightsSource(
        groups=("g",),
        report_query="fields @timestamp, @message, timestamp, eventId, level",
        numeric=frozenset(),
        reserved=CONNECTOR_COLUMNS,
    )
    assert InsightsEvents._event(row, source) == {
        "timestamp": 1,
        "logStreamName": "a",
        "ingestionTime": 1,
        "message": "m",
        "query_timestamp": "2026-11-30T00:00:00Z",
        "query_eventId": "mine",
        "level": "INFO",
    }
