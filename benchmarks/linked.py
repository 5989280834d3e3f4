"""A monitoring account reading its linked source accounts (scenario 7 of `make bench`): 4 source accounts with 5
log groups each, read through one connection with `include_linked_accounts`, against the monitoring account's
FilterLogEvents quota (the fake's rate limit, 80 ms per call). The bound is the calls needed over that quota;
one connection per source account (each with its own role and quota, run in parallel by the platform) would
have the bound of the largest account alone. `python -m benchmarks.linked` prints the table alone."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import discovered, measure, print_markdown
from benchmarks.scenario import GroupPlan, events_for
from testkit.connector import config
from testkit.seeding import MAX_PUT_EVENTS, filter_pages, logs_client, now_ms, put_events
from testkit.server_process import fake_cloudwatch, fake_stats, set_plan

MONITORING = "123456789012"
SOURCES = [f"2000000000{n:02d}" for n in range(4)]
GROUPS_PER_ACCOUNT = 5
EVENTS_PER_GROUP = 24_000
RATE = 5.0
LATENCY_S = 0.08


@dataclass
class LinkedRow:
    accounts: int
    groups: int
    events: int
    calls_needed: int
    calls: int
    throttles: int
    wall_s: float
    delivered: str

    @property
    def bound_s(self) -> float:
        return self.calls_needed / RATE

    @property
    def per_account_bound_s(self) -> float:
        return self.calls_needed / len(SOURCES) / RATE

    def line(self) -> str:
        return (
            f"| {self.accounts} source accounts, {self.groups} groups | {self.events:,} | {self.calls_needed} | "
            f"{self.calls} | {self.throttles} | {self.bound_s:.1f} | {self.wall_s:.1f} | "
            f"{self.wall_s / self.bound_s:.2f} | {self.per_account_bound_s:.1f} | {self.delivered} |"
        )


HEADER = (
    "| scenario | events | calls needed | calls | throttled | bound s (one connection) | wall s | wall/bound "
    "| bound s per account (one connection each) | delivered |"
)


def linked_row() -> LinkedRow:
    now = now_ms()
    with tempfile.TemporaryDirectory() as tmp, fake_cloudwatch() as endpoint:
        needed, expected = 0, 0
        for account in SOURCES:
            client = logs_client(endpoint, account)
            for n in range(GROUPS_PER_ACCOUNT):
                name = f"/aws/lambda/fn-{n}"
                events = sorted(events_for(GroupPlan(name, "lambda", EVENTS_PER_GROUP), now, seed=int(account)))
                client.create_log_group(logGroupName=name)
                for stream, start in enumerate(range(0, len(events), MAX_PUT_EVENTS)):
                    put_events(client, name, f"s{stream}", events[start : start + MAX_PUT_EVENTS])
                pages = filter_pages(client, logGroupName=name, limit=MAX_PUT_EVENTS)
                needed += sum(1 for _ in pages)
                expected += len(events)
        set_plan(endpoint, linked_accounts={MONITORING: SOURCES})
        settings = config(endpoint, include_linked_accounts=True, requests_per_second=RATE)
        workdir = Path(tmp)
        catalog = discovered(measure("discover", workdir, settings))
        set_plan(endpoint, latency_s=LATENCY_S, rate_limits={"FilterLogEvents": RATE})
        before = fake_stats(endpoint)
        read = measure("read", workdir, settings, catalog)
        after = fake_stats(endpoint)
        delivered = sum(1 for line in read.output.open("rb") if line.startswith(b'{"type":"RECORD"'))
    calls = after["calls"].get("FilterLogEvents", 0) - before["calls"].get("FilterLogEvents", 0)
    throttles = after["throttles"].get("FilterLogEvents", 0) - before["throttles"].get("FilterLogEvents", 0)
    return LinkedRow(
        accounts=len(SOURCES),
        groups=len(SOURCES) * GROUPS_PER_ACCOUNT,
        events=expected,
        calls_needed=needed,
        calls=calls,
        throttles=throttles,
        wall_s=read.wall_s,
        delivered="all" if delivered == expected else f"{delivered} of {expected}",
    )


def print_row(row: LinkedRow) -> None:
    print_markdown(HEADER, [row.line()])


if __name__ == "__main__":
    print_row(linked_row())
