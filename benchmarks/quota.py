"""Reading at the AWS quotas (scenario 6 of `make bench`): 10 log groups served by the fast fake with 1 MB pages,
a latency per call and a FilterLogEvents quota, for each class of region (25, 10 and 5 requests per second, the
connector's defaults for us-east-1, eu-west-1 and eu-central-1), at 80 and 300 ms per call; then us-east-1 with a
neighbour client taking 40% of the quota; and one big log group alone at 25/s and 300 ms, also sized for 30 s (cut into
enough windows to keep 8 requests in flight). A row's bound is the calls its reading needs over its rate: the pages
of the windows the connector asked for, each window's last partial page a call as it is at AWS ("one sequence":
the least calls any reading needs, each group's pages in one sequence). "paging s" is the wall from the first
FilterLogEvents answer to the last, without the connector's start (about 1.5 s, more on a busy machine).
`python -m benchmarks.quota` prints the table alone; `--only TEXT` runs only the rows whose scenario name contains
TEXT (`--only "one big group"`)."""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from benchmarks.measure import discovered, measure, print_markdown
from testkit.connector import config
from testkit.seeding import now_ms
from testkit.server_process import ready_process

GROUPS = 10
BOUND_S = 30.0  # each run's data is sized so that paging it at the quota takes this long
EVENTS_PER_PAGE = 1_600  # about what a 1 MB page holds of the fast fake's events (sizing only)
REGIONS = {"us-east-1": 25.0, "eu-west-1": 10.0, "eu-central-1": 5.0}
NEIGHBOUR_SHARE = 0.4


@dataclass
class QuotaRow:
    scenario: str
    rate: float  # requests per second the connector may use
    latency_ms: int
    events: int
    calls_needed: int  # the pages of the windows the connector read, each window's last partial page counted
    calls_in_one_sequence: int  # the pages of each group read in one sequence: the least any reading needs
    calls: int
    throttles: int
    wall_s: float
    paging_s: float  # from the first FilterLogEvents answer to the last: the wall without the start and end
    peak_rss_mb: float
    neighbour: str = "-"

    @property
    def bound_s(self) -> float:
        return self.calls_needed / self.rate

    @property
    def ratio(self) -> float:
        return self.wall_s / self.bound_s

    def line(self) -> str:
        return (
            f"| {self.scenario:34} | {self.rate:5g} | {self.latency_ms:7} | {self.events:9,} | {self.calls_needed:6} | "
            f"{self.calls_in_one_sequence:12} | "
            f"{self.calls:5} | {self.throttles:9} | {self.bound_s:7.1f} | {self.wall_s:6.1f} | {self.ratio:10.2f} | "
            f"{self.paging_s:8.1f} | {self.paging_s / self.bound_s:12.2f} | "
            f"{self.peak_rss_mb:7.0f} | {self.neighbour:18} |"
        )


HEADER = (
    "| scenario                           | rate/s | latency | events    | needed | one sequence | calls | throttled | bound s | wall s "
    "| wall/bound | paging s | paging/bound | RSS MB  | neighbour calls/throttled |"
)


def run(
    name: str,
    *,
    region: str,
    latency_s: float,
    quota: float,
    rate: float,
    neighbour_rps: float = 0.0,
    groups: int = GROUPS,
    bound_s: float = BOUND_S,
) -> QuotaRow:
    """One read of `groups` groups sized for `bound_s` at `rate`, against a quota of `quota` with a neighbour."""
    events = math.ceil(bound_s * rate / groups) * EVENTS_PER_PAGE
    fake = [
        sys.executable, "-m", "benchmarks.fast_fake", "--events", str(events), "--now-ms", str(now_ms()),
        "--groups", str(groups), "--latency-s", str(latency_s), "--rate", str(quota),
        "--neighbour-rps", str(neighbour_rps),
    ]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, ready_process(fake) as endpoint:
        workdir = Path(tmp)
        settings = config(endpoint, region_name=region)
        del settings["ingestion_delay_seconds"]
        catalog = discovered(measure("discover", workdir, settings))
        read = measure("read", workdir, settings, catalog)
        with urllib.request.urlopen(f"{endpoint}/_stats", timeout=60) as answer:
            stats = json.loads(answer.read())
        delivered = sum(1 for line in read.output.open("rb") if line.startswith(b'{"type":"RECORD"'))
        if delivered != events * groups:
            raise RuntimeError(f"{name}: {delivered} records delivered, {events * groups} expected")
    neighbour = f"{stats['neighbour_calls']}/{stats['neighbour_throttles']}" if neighbour_rps else "-"
    return QuotaRow(
        scenario=name,
        rate=rate,
        latency_ms=round(latency_s * 1000),
        events=events * groups,
        calls_needed=stats["calls_needed"],
        calls_in_one_sequence=stats["calls_in_one_sequence"],
        calls=stats["calls"],
        throttles=stats["throttles"],
        wall_s=read.wall_s,
        paging_s=stats["paging_s"],
        peak_rss_mb=read.peak_rss_mb,
        neighbour=neighbour,
    )


def quota_rows(only: str = "") -> list[QuotaRow]:
    """Scenario 6's rows; `only`: just those whose name contains it."""
    runs: list[tuple[str, Callable[[str], QuotaRow]]] = []
    for latency_s in (0.08, 0.3):
        for region, quota in REGIONS.items():
            runs.append(
                (
                    f"{region} default, {latency_s * 1000:.0f} ms",
                    partial(run, region=region, latency_s=latency_s, quota=quota, rate=quota),
                )
            )
    quota = REGIONS["us-east-1"]
    runs.append(
        (
            "us-east-1, one big group, 300 ms",
            partial(run, region="us-east-1", latency_s=0.3, quota=quota, rate=quota, groups=1),
        )
    )
    neighbour = quota * NEIGHBOUR_SHARE
    runs.append(
        (
            f"us-east-1, neighbour {neighbour:g}/s, 80 ms",
            partial(
                run, region="us-east-1", latency_s=0.08, quota=quota, rate=quota - neighbour, neighbour_rps=neighbour
            ),
        )
    )
    rows = []
    for name, one in runs:
        if only in name:
            print(f"  {name} ...", flush=True)
            rows.append(one(name))
    return rows


def print_rows(rows: list[QuotaRow]) -> None:
    print_markdown(HEADER, [row.line() for row in rows])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Scenario 6 of `make bench`: reading at the AWS quotas.")
    parser.add_argument("--only", default="", help="run only the rows whose scenario name contains this text")
    print_rows(quota_rows(parser.parse_args().only))
