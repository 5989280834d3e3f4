"""Discovery at 10,000 log groups (scenario 10 of `make bench`; issue 23): `discover` and `check` through the
entry point against the fake (in this process: its 10,000 groups go straight into moto's backend, the fastest
path), 80 ms per call, every operation limited by the fake to its quota (ListLogGroups and DescribeLogGroups
10/s, FilterLogEvents 25/s), once with ListLogGroups and once on an endpoint that lacks it (the fake forwards it
to moto, which answers HTTP 500), where the connector lists with DescribeLogGroups as it did before.

Printed per run: the calls made; the bound (the calls are sequential: each takes at least the longer of its
quota's interval and the latency); the API phase, from the first call's arrival at the fake to the last one's
answer (its arrival plus the latency); the API phase against the bound, which `make bench` holds to 1.25 for
the ListLogGroups runs; and the whole wall of the command, which adds the process start, imports, the client and,
for `discover`, building and writing a catalog of 10,000 streams (about 12 MB), none of which a quota bounds (on
a machine shared with other work these seconds vary most). Then `read` of the discovered catalog, all 10,000
streams (empty groups: one FilterLogEvents call each), with the fake's limits and latency off and
`requests_per_second` at 1,000, for its peak RSS, which `make bench` holds under 250 MB (issue 23).
`python -m benchmarks.discover_scale` prints the tables alone.
"""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from moto.core import DEFAULT_ACCOUNT_ID
from moto.logs.models import logs_backends

from benchmarks.measure import discovered, measure, print_markdown
from source_cloudwatch_logs.aws.quotas import DESCRIBE_LOG_GROUPS_RPS, filter_log_events_rps
from testkit.connector import config
from testkit.fake_logs import FakeCloudWatch
from testkit.messages import MessageView, parse_messages
from testkit.seeding import REGION

GROUPS = 10_000
LATENCY_S = 0.08
TARGET = 1.25  # API phase / bound, for discover and check with ListLogGroups
LIST_LOG_GROUPS_RPS = DESCRIBE_LOG_GROUPS_RPS  # its quota is not published: paced like DescribeLogGroups
RATES = {
    "ListLogGroups": LIST_LOG_GROUPS_RPS,
    "DescribeLogGroups": DESCRIBE_LOG_GROUPS_RPS,
    "FilterLogEvents": filter_log_events_rps(REGION),
}


@dataclass
class ScaleRow:
    scenario: str
    calls: Counter[str]
    api_s: float
    wall_s: float
    peak_rss_mb: float
    outcome: str  # streams discovered, or check's status

    @property
    def bound_s(self) -> float:
        return bound_s(self.calls)

    @property
    def ratio(self) -> float:
        return self.api_s / self.bound_s

    def line(self) -> str:
        calls = ", ".join(f"{operation} {n}" for operation, n in sorted(self.calls.items()))
        return (
            f"| {self.scenario} | {calls} | {self.bound_s:.2f} | {self.api_s:.2f} | {self.ratio:.2f} | "
            f"{self.wall_s:.2f} | {self.peak_rss_mb:.0f} | {self.outcome} |"
        )


HEADER = (
    f"| scenario (10), {GROUPS:,} groups | calls | bound s | API phase s | API phase / bound | wall s "
    "| peak RSS MB | outcome |"
)


def bound_s(calls: Counter[str]) -> float:
    # an operation the fake does not limit (check's probe of the sweep's queries) takes its latency
    return sum(
        n * max(1 / RATES[operation] if operation in RATES else 0.0, LATENCY_S) for operation, n in calls.items()
    )


def seed(groups: int) -> None:
    backend = logs_backends[DEFAULT_ACCOUNT_ID][REGION]
    for n in range(groups):
        backend.create_log_group(f"/aws/lambda/service-{n:05d}", tags={})


def run(fake: FakeCloudWatch, command: str, workdir: Path) -> ScaleRow:
    fake.calls.clear()
    fake.received.clear()
    measured = measure(command, workdir, config(fake.url))
    calls = +Counter(fake.calls)
    arrivals = [request.at for request in fake.received]
    api_s = (max(arrivals) - min(arrivals)).total_seconds() + LATENCY_S
    view = MessageView(parse_messages(measured.output.read_bytes()))
    if command == "discover":
        outcome = f"{len(view.catalog['streams']):,} streams"
    else:
        outcome = str(view.connection_status["status"])
    return ScaleRow(command, calls, api_s, measured.wall_s, measured.peak_rss_mb, outcome)


RSS_LIMIT_MB = 250  # a read of a 10,000-stream catalog
CATALOG_READ_RPS = 1_000  # requests_per_second for the catalog read: the quota is not what it measures


@dataclass
class CatalogReadRow:
    streams: int
    calls: Counter[str]
    wall_s: float
    peak_rss_mb: float
    records: int

    def line(self) -> str:
        calls = ", ".join(f"{operation} {n}" for operation, n in sorted(self.calls.items()))
        return f"| read, {self.streams:,}-stream catalog | {calls} | {self.wall_s:.1f} | {self.peak_rss_mb:.0f} | {self.records} |"


def catalog_read(fake: FakeCloudWatch, workdir: Path) -> CatalogReadRow:
    """`read` of every stream `discover` finds, with no limit but the connector's own memory."""
    settings = config(fake.url, requests_per_second=CATALOG_READ_RPS)
    catalog = discovered(measure("discover", workdir, settings))
    fake.plan.latency_s, fake.plan.rate_limits = 0.0, {}
    fake.calls.clear()
    read = measure("read", workdir, settings, catalog)
    records = sum(1 for line in read.output.open("rb") if line.startswith(b'{"type":"RECORD"'))
    return CatalogReadRow(len(catalog["streams"]), +Counter(fake.calls), read.wall_s, read.peak_rss_mb, records)


def scale_rows(groups: int = GROUPS) -> tuple[list[ScaleRow], CatalogReadRow]:
    rows: list[ScaleRow] = []
    logging.getLogger("werkzeug").setLevel(logging.CRITICAL)  # moto's traceback for the ListLogGroups it lacks
    with tempfile.TemporaryDirectory() as tmp, FakeCloudWatch() as fake:
        workdir = Path(tmp)
        fake.reset()
        seed(groups)
        fake.plan.latency_s, fake.plan.rate_limits = LATENCY_S, dict(RATES)
        for lacks, label in ((False, "ListLogGroups"), (True, "no ListLogGroups (DescribeLogGroups)")):
            fake.plan.lacks_list_log_groups = lacks
            for command in ("discover", "check"):
                row = run(fake, command, workdir)
                row.scenario = f"{command}, {label}"
                rows.append(row)
        fake.plan.lacks_list_log_groups = False
        read = catalog_read(fake, workdir)
        fake.reset()
    return rows, read


def print_rows(rows: list[ScaleRow], read: CatalogReadRow) -> None:
    print_markdown(HEADER, [row.line() for row in rows])
    print()
    print_markdown("| scenario (10) | calls | wall s | peak RSS MB | records |", [read.line()])


if __name__ == "__main__":
    print_rows(*scale_rows())
