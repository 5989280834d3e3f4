"""Reading a window with Logs Insights: whole milliseconds, split where a result was cut, stable keys. The
queries are answered by a stub that applies the window's bounds to a list of events, as AWS would."""

from __future__ import annotations

import re
from typing import Any

import pytest
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.insights import QueryResult, QuerySpec
from source_cloudwatch_logs.insights_events import InsightsEvents, InsightsSource, insights_ms

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
            streams = sorted({s for ms, s, _ in self.events if ms == at})
            return QueryResult(
                rows=[{"@logStream": s, "events": "1"} for s in streams], records_matched=1, bytes_scanned=5
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
    with pytest.raises(AirbyteTracedException) as raised:
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
