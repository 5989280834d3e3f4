"""The sweep's query (aws/sweep_query.py): its text and seconds, at most 50 groups a query, rows read per group."""

from __future__ import annotations

from typing import Any

import pytest

from source_cloudwatch_logs.aws.errors import UnexpectedAnswer
from source_cloudwatch_logs.aws.insights import QueryResult, QuerySpec
from source_cloudwatch_logs.aws.sweep_query import (
    LateStream,
    SweepTarget,
    chunks,
    find_late,
    late_streams,
    query_spec,
    query_text,
    time_ms,
)

T0 = 1_795_000_000_000


def target(n: int = 0, *, ingested_from: int = T0, account: str | None = "123456789012") -> SweepTarget:
    return SweepTarget(
        key=f"s{n}",
        identifier=f"/g{n}",
        group=f"/g{n}",
        account=account,
        from_ms=T0 - 3_600_000,
        to_ms=T0 + 1_500,
        ingested_from_ms=ingested_from,
        min_lag_ms=300_000,
    )


def test_the_query_asks_for_late_events_per_log_stream_and_its_seconds_hold_the_range() -> None:
    early = SweepTarget("a", "/a", "/a", None, T0 - 7_200_500, T0, T0 + 5, 300_000)
    spec = query_spec([early, target()])
    assert spec == QuerySpec(
        groups=("/a", "/g0"),
        text=query_text([early, target()]),
        start_s=(T0 - 7_200_500) // 1000,  # the second holding from_ms
        end_s=(T0 + 1_499) // 1000,  # the second holding the last millisecond below to_ms (inclusive)
    )
    assert spec.text == (
        f"filter toMillis(@ingestionTime) >= {T0} and toMillis(@ingestionTime) - toMillis(@timestamp) > 300000 "
        f"and toMillis(@timestamp) >= {T0 - 7_200_500} and toMillis(@timestamp) < {T0 + 1_500}\n"
        "| stats count(*) as late_events, min(@timestamp) as first_ts, max(@timestamp) as last_ts by @log, @logStream"
    )


def test_groups_go_50_a_query_those_with_near_cutoffs_together_and_empty_ranges_not_at_all() -> None:
    targets = [target(n, ingested_from=T0 + (n % 3) * 1000) for n in range(120)]
    empty = SweepTarget("e", "/e", "/e", None, T0, T0, T0, 0)
    split = chunks([*targets, empty])
    assert [len(chunk) for chunk in split] == [50, 50, 20]
    assert {t.key for chunk in split for t in chunk} == {t.key for t in targets}
    assert [chunk[0].ingested_from_ms for chunk in split] == [T0, T0 + 1000, T0 + 2000]


def test_times_are_read_as_insights_writes_them_or_as_epoch_milliseconds() -> None:
    assert time_ms("2026-11-16 08:26:40.123") == 1_794_817_600_123
    assert time_ms("1794817600123") == 1_794_817_600_123
    assert time_ms("yesterday") is None


def test_rows_are_matched_to_their_group_by_account_and_name_and_narrowed_to_its_range() -> None:
    first, other = target(0), target(1, account=None)
    rows = [
        {
            "@log": "123456789012:/g0",
            "@logStream": "a",
            "late_events": "3",
            "first_ts": str(T0 - 9_000_000),  # before the target's range: narrowed
            "last_ts": str(T0 + 9_000),  # at or after where this sync's windows begin: narrowed
            "@ptr": "x",
        },
        {  # the account is not known for /g1: matched by name; Insights' way of writing a time
            "@log": "210987654321:/g1",
            "@logStream": "b",
            "late_events": "1",
            "first_ts": "2026-11-18 11:05:20.000",
            "last_ts": "2026-11-18 11:05:20.000",
        },
        {  # wholly at or after the range's end: nothing to re-read
            "@log": "123456789012:/g0",
            "@logStream": "c",
            "late_events": "1",
            "first_ts": str(T0 + 1_500),
            "last_ts": str(T0 + 1_600),
        },
    ]
    assert list(late_streams(rows, [first, other])) == [
        LateStream("s0", "a", 3, T0 - 3_600_000, T0 + 1_499),
        LateStream("s1", "b", 1, T0 - 80_000, T0 - 80_000),
    ]


@pytest.mark.parametrize(
    "row",
    [
        {"@log": "1:/unknown", "@logStream": "a", "late_events": "1", "first_ts": "1", "last_ts": "2"},
        {"@log": "123456789012:/g0", "@logStream": "a", "late_events": "1", "first_ts": "soon", "last_ts": "2"},
        {"@log": "123456789012:/g0", "@logStream": "", "late_events": "1", "first_ts": "1", "last_ts": "2"},
    ],
)
def test_a_row_the_query_cannot_give_is_an_unexpected_answer(row: dict[str, str]) -> None:
    with pytest.raises(UnexpectedAnswer, match="late-event sweep with a row the query cannot give"):
        list(late_streams([row], [target()]))


class _Insights:
    def __init__(self) -> None:
        self.specs: list[QuerySpec] = []

    def run(self, spec: QuerySpec, *, stream: str, log_group: str, field: Any = None) -> QueryResult:
        self.specs.append(spec)
        rows = [
            {
                "@log": f"123456789012:{group}",
                "@logStream": "x",
                "late_events": "2",
                "first_ts": str(T0),
                "last_ts": str(T0 + 1),
            }
            for group in spec.groups
        ]
        return QueryResult(rows=rows, records_matched=2 * len(rows), bytes_scanned=1000 * len(rows))


def test_find_late_runs_one_query_per_50_groups_and_adds_up_their_bytes() -> None:
    insights = _Insights()
    answer = find_late(insights, [target(n) for n in range(51)], stream="s0")  # type: ignore[arg-type]
    assert answer.queries == 2 and [len(s.groups) for s in insights.specs] == [50, 1]
    assert answer.bytes_scanned == 51_000
    assert sorted(late.key for late in answer.late) == sorted(f"s{n}" for n in range(51))
