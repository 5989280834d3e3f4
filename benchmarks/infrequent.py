"""Infrequent Access log groups read with Logs Insights (scenario 8 of `make bench`): 4 groups of 50,000 events each,
read through the fake's Logs Insights (each query Scheduled, Running, then Complete after QUERY_S, 80 ms per
call), once with StartQuery's 100,000-row limit and once on an account capped at 10,000 rows a query, where
windows are read in several queries. Printed: the calls, the queries, the most running at once, the wall time,
the rows GetQueryResults answers carried (fetched, partial ones of Running queries too) against the records
delivered, and the bytes scanned as the fake counts them and as the connector reports them (its summary line). The bound is
the queries run `max_concurrent_queries` at a time, each taking at least QUERY_S.
`python -m benchmarks.infrequent` prints the table alone."""

from __future__ import annotations

import math
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import discovered, measure, print_markdown
from benchmarks.scenario import GroupPlan, events_for
from source_cloudwatch_logs.aws.quotas import DEFAULT_MAX_CONCURRENT_QUERIES
from testkit.connector import config
from testkit.seeding import MAX_PUT_EVENTS, logs_client, now_ms, put_events
from testkit.server_process import fake_cloudwatch, fake_stats, set_plan

GROUPS = 4
EVENTS_PER_GROUP = 50_000
QUERY_S = 1.0
LATENCY_S = 0.08
SCANNED = re.compile(rb"Logs Insights scanned (\d+) bytes")


@dataclass
class InfrequentRow:
    scenario: str
    events: int
    start_query: int
    get_query_results: int
    max_running: int
    wall_s: float
    fake_bytes: int
    reported_bytes: int
    delivered: str
    rows_fetched: int = 0
    records: int = 0

    @property
    def bound_s(self) -> float:
        return math.ceil(self.start_query / DEFAULT_MAX_CONCURRENT_QUERIES) * QUERY_S

    def line(self) -> str:
        return (
            f"| {self.scenario} | {self.events:,} | {self.start_query} | {self.get_query_results} | "
            f"{self.max_running} | {self.bound_s:.1f} | {self.wall_s:.1f} | {self.rows_fetched:,} | "
            f"{self.records:,} | {self.fake_bytes:,} | "
            f"{self.reported_bytes:,} | {self.delivered} |"
        )


HEADER = (
    "| scenario (8) | events | StartQuery | GetQueryResults | most running | bound s | wall s | rows fetched | rows delivered | bytes scanned (fake) "
    "| bytes scanned (reported) | delivered |"
)


def infrequent_rows() -> list[InfrequentRow]:
    now = now_ms()
    rows = []
    with fake_cloudwatch() as endpoint:
        client = logs_client(endpoint)
        for n in range(GROUPS):
            name = f"/aws/apigateway/cheap-{n}"
            events = sorted(events_for(GroupPlan(name, "apigw-http", EVENTS_PER_GROUP), now, seed=n))
            client.create_log_group(logGroupName=name, logGroupClass="INFREQUENT_ACCESS")
            for stream, start in enumerate(range(0, len(events), MAX_PUT_EVENTS)):
                put_events(client, name, f"s{stream}", events[start : start + MAX_PUT_EVENTS])
        settings = config(endpoint)
        for label, cap in (("100,000-row queries", 0), ("10,000-row cap", 10_000)):
            with tempfile.TemporaryDirectory() as tmp:
                workdir = Path(tmp)
                catalog = discovered(measure("discover", workdir, settings))
                set_plan(endpoint, latency_s=LATENCY_S, query_seconds=QUERY_S, query_row_cap=cap or None)
                before = fake_stats(endpoint)
                read = measure("read", workdir, settings, catalog)
                after = fake_stats(endpoint)
                set_plan(endpoint, latency_s=0.0)
                output = read.output.read_bytes()
            delivered = sum(1 for line in output.splitlines() if line.startswith(b'{"type":"RECORD"'))
            reported = SCANNED.findall(output)
            expected = GROUPS * EVENTS_PER_GROUP
            rows.append(
                InfrequentRow(
                    scenario=f"{GROUPS} Infrequent Access groups, {label}",
                    events=expected,
                    start_query=after["calls"].get("StartQuery", 0) - before["calls"].get("StartQuery", 0),
                    get_query_results=after["calls"].get("GetQueryResults", 0)
                    - before["calls"].get("GetQueryResults", 0),
                    max_running=after["insights"]["max_running"],
                    wall_s=read.wall_s,
                    fake_bytes=after["insights"]["bytes_scanned"] - before["insights"]["bytes_scanned"],
                    reported_bytes=int(reported[-1]) if reported else 0,
                    delivered="all" if delivered == expected else f"{delivered} of {expected}",
                    rows_fetched=after["insights"]["rows_returned"] - before["insights"]["rows_returned"],
                    records=delivered,
                )
            )
    return rows


def print_rows(rows: list[InfrequentRow]) -> None:
    print_markdown(HEADER, [row.line() for row in rows])


if __name__ == "__main__":
    print_rows(infrequent_rows())
