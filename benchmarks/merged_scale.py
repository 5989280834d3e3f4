"""A merged stream over 1,000 log groups (scenario 9 of `make bench`): one custom report with a prefix over 1,000
small groups (30 events each) served by the fast fake in its own process at us-east-1's FilterLogEvents quota
(25/s) and 80 ms a call; a first sync, then the next one from its state. Per sync: STATE messages and bytes (per
group), the last state's bytes per group, WARN lines, calls against the quota bound, wall and peak RSS.

`python -m benchmarks.merged_scale` prints the table alone; `--source-tree DIR` runs the connector's code from
another checkout (e.g. a worktree of an older commit) to measure it the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.measure import measure, print_markdown
from testkit.connector import config, configured_catalog
from testkit.messages import MessageView, parse_messages
from testkit.seeding import now_ms
from testkit.server_process import ready_process

GROUPS = 1_000
EVENTS_PER_GROUP = 30
RATE = 25.0  # us-east-1's FilterLogEvents quota, the connector's default there
LATENCY_S = 0.08
REPORT = "merged_all"
STATE_BYTES_PER_GROUP_LIMIT = 300  # per sync, all STATE messages together (run.py checks it)
RSS_LIMIT_MB = 250


@dataclass
class MergedRow:
    scenario: str
    records: int
    states: int
    state_bytes: int
    last_state_bytes: int
    warnings: int
    calls: int
    calls_needed: int
    wall_s: float
    peak_rss_mb: float

    @property
    def bound_s(self) -> float:
        return self.calls_needed / RATE

    @property
    def ratio(self) -> float:
        return self.wall_s / self.bound_s

    @property
    def state_bytes_per_group(self) -> float:
        return self.state_bytes / GROUPS

    def line(self) -> str:
        return (
            f"| {self.scenario:30} | {self.records:7,} | {self.states:6} | {self.state_bytes:12,} | "
            f"{self.state_bytes_per_group:9.0f} | {self.last_state_bytes / GROUPS:10.0f} | {self.warnings:4} | "
            f"{self.calls:5} | {self.bound_s:7.1f} | {self.wall_s:6.1f} | {self.ratio:10.2f} | {self.peak_rss_mb:6.0f} |"
        )


HEADER = (
    "| merged stream, 1,000 groups     | records | STATE  | STATE bytes  | per group | last/group | WARN | calls "
    "| bound s | wall s | wall/bound | RSS MB |"
)


def _stats(endpoint: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{endpoint}/_stats", timeout=60) as answer:
        stats: dict[str, Any] = json.loads(answer.read())
        return stats


def merged_rows(label: str = "") -> list[MergedRow]:
    """The first sync and the next one of the merged stream, each a row."""
    fake = [
        sys.executable, "-m", "benchmarks.fast_fake", "--events", str(EVENTS_PER_GROUP), "--now-ms", str(now_ms()),
        "--groups", str(GROUPS), "--latency-s", str(LATENCY_S), "--rate", str(RATE),
    ]  # fmt: skip
    rows = []
    with tempfile.TemporaryDirectory() as tmp, ready_process(fake) as endpoint:
        workdir = Path(tmp)
        report = {"name": REPORT, "log_group_prefix": "/aws/apigateway/fast-"}
        settings = config(endpoint, region_name="us-east-1", log_group_prefix="/none", custom_log_reports=[report])
        del settings["ingestion_delay_seconds"]
        discover = measure("discover", workdir, settings)
        catalog = configured_catalog(MessageView(parse_messages(discover.output.read_bytes())).catalog)
        catalog["streams"] = [s for s in catalog["streams"] if s["stream"]["name"] == REPORT]
        state: Any = None
        for sync in ("first sync", "next sync"):
            print(f"  {label}{sync} ...", flush=True)
            before = _stats(endpoint)
            read = measure("read", workdir, settings, catalog, state=state)
            after = _stats(endpoint)
            view = MessageView(parse_messages(read.output.read_bytes()))
            states = view.of("STATE")
            sizes = [len(json.dumps(s["state"]["stream"]["stream_state"], separators=(",", ":"))) for s in states]
            records = len(view.records_of(REPORT))
            if sync == "first sync" and records != GROUPS * EVENTS_PER_GROUP:
                raise RuntimeError(f"{records} records delivered, {GROUPS * EVENTS_PER_GROUP} expected")
            rows.append(
                MergedRow(
                    scenario=f"{label}{sync}",
                    records=records,
                    states=len(states),
                    state_bytes=sum(sizes),
                    last_state_bytes=sizes[-1] if sizes else 0,
                    warnings=len(view.logs("WARN")),
                    calls=after["calls"] - before["calls"],
                    calls_needed=after["calls_needed"],
                    wall_s=read.wall_s,
                    peak_rss_mb=read.peak_rss_mb,
                )
            )
            state = [states[-1]["state"]]
    return rows


def print_rows(rows: list[MergedRow]) -> None:
    print_markdown(HEADER, [row.line() for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--source-tree", type=Path, help="run the connector's code from this checkout")
    parser.add_argument("--label", default="", help="a prefix for the rows' names")
    args = parser.parse_args()
    if args.source_tree is not None:  # the connector's subprocesses import it first
        os.environ["PYTHONPATH"] = os.pathsep.join([str(args.source_tree.resolve()), os.environ.get("PYTHONPATH", "")])
    rows = merged_rows(args.label)
    print_rows(rows)


if __name__ == "__main__":
    main()
