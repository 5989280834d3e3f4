"""The late-event sweep: first-seen lags of hours and days below busy groups' newest events, synced every hour
with the sweep on (every sync, span 360 hours) and off, reporting what was missed, what was repeated, what each
sync cost in calls, and the bytes Logs Insights scanned against the bytes the swept range stores.

`python -m benchmarks.sweep` prints the table (scenario 11 of `make bench`).
"""

from __future__ import annotations

import random
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import print_markdown
from testkit.arrivals import Arrival, Timeline, batch, connector_settings, steady
from testkit.fake_insights import EVENT_OVERHEAD_BYTES
from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import DAY, MINUTE, logs_client, now_ms

HOUR = 60 * MINUTE
GROUPS = ("/sweep/vpc-flow", "/sweep/api", "/sweep/agents")
SYNCS = 8  # hourly incremental syncs after the first, full one
SPAN_HOURS = 360
SCANNED = re.compile(r"(\d+) bytes scanned")


def arrivals(start: int, rng: random.Random) -> list[Arrival]:
    """Busy groups (an event every 30 s a stream, seconds late) from 2 days before `start`, and late arrivals
    below their newest events: an agent's 3-6 h buffer, a new log stream of 2 h old events, a back-fill of
    yesterday, and one 13 days old."""
    late: list[Arrival] = []
    events: list[Arrival] = []
    for group in GROUPS:
        for stream in ("a", "b"):
            end = start + SYNCS * HOUR - 10 * MINUTE  # all read by the last sync (it reads up to 5 minutes ago)
            events += steady(group, stream, start - 2 * DAY, end, 60_000, (0, 5_000), rng)
    agent_at = start + 5 * HOUR
    late += batch(GROUPS[2], "agent-9", [agent_at - 6 * HOUR + n * 5 * MINUTE for n in range(36)], agent_at, "buffer")
    fresh_at = start + 3 * HOUR
    late += batch(GROUPS[0], "eni-new", [fresh_at - 2 * HOUR + n * MINUTE for n in range(60)], fresh_at, "new")
    late += batch(GROUPS[1], "import", [start - DAY + n * 10 * MINUTE for n in range(72)], start + 2 * HOUR, "day")
    late += batch(GROUPS[1], "archive", [start - 13 * DAY + n * HOUR for n in range(12)], start + 6 * HOUR, "13d")
    return events + late


@dataclass
class SweepRow:
    scenario: str
    events: int
    late: int
    missing: int
    duplicates: int
    calls: list[int]  # FilterLogEvents calls of each incremental sync
    queries: int  # Logs Insights queries in all
    scanned_bytes: int
    stored_bytes: int  # what the swept ranges hold, summed over the sweeps
    wall_s: float

    def line(self) -> str:
        calls = f"{statistics.mean(self.calls):.1f} ({min(self.calls)}-{max(self.calls)})"
        ratio = f"{self.scanned_bytes / self.stored_bytes:.2f}" if self.stored_bytes else "-"
        return (
            f"| {self.scenario:24} | {self.events:6} | {self.late:4} | {self.missing:7} | "
            f"{self.duplicates / SYNCS:15.1f} | {calls:17} | {self.queries / SYNCS:13.1f} | "
            f"{self.scanned_bytes:13} | {self.stored_bytes:12} | {ratio:7} | {self.wall_s:6.1f} |"
        )


HEADER = (
    "| scenario                 | events | late | missing | duplicates/sync | filter calls/sync | queries/sync "
    "| bytes scanned | bytes stored | scanned/stored | wall s |"
)


def run(name: str, span_hours: int, fake: FakeCloudWatch, workdir: Path) -> SweepRow:
    started = time.monotonic()
    fake.reset()
    start = (now_ms() - 12 * HOUR) // MINUTE * MINUTE  # events 13 days old must still be within 14 days of now
    timeline = Timeline(fake, logs_client(fake.url), now_ms=start - 2 * DAY)
    timeline.create_groups(GROUPS)
    everything = arrivals(start, random.Random(20261203))
    late = [a for a in everything if a.stream not in ("a", "b")]
    timeline.schedule(everything)
    settings = connector_settings(fake.url, late_sweep_interval_hours=0, late_sweep_span_hours=span_hours)
    timeline.advance_to(start)
    timeline.sync(workdir, settings)
    scanned = stored = 0
    for number in range(1, SYNCS + 1):
        at = start + number * HOUR
        timeline.advance_to(at)
        report = timeline.sync(workdir, settings)
        summary = " ".join(report.run.logs("INFO"))
        match = SCANNED.search(summary)
        if match:
            scanned += int(match.group(1))
            # The swept range: every event of the groups with a timestamp in the span, below this sync's windows
            # (their start is about an hour back: the previous sync's end less the ingestion delay).
            stored += sum(
                len(a.message.encode()) + EVENT_OVERHEAD_BYTES
                for a in timeline.arrived.values()
                if at - span_hours * HOUR <= a.timestamp < at - HOUR - 5 * MINUTE
            )
    return SweepRow(
        scenario=name,
        events=len(timeline.arrived),
        late=len(late),
        missing=len(timeline.missing()) + len(timeline.unknown()),
        duplicates=sum(r.duplicates for r in timeline.syncs),
        calls=[r.filter_calls for r in timeline.syncs[1:]],
        queries=fake.insights.stats.started,
        scanned_bytes=scanned,
        stored_bytes=stored,
        wall_s=time.monotonic() - started,
    )


def sweep_rows() -> list[SweepRow]:
    with tempfile.TemporaryDirectory() as tmp, FakeCloudWatch(record_requests=False) as fake:
        return [
            run(f"sweep on (span {SPAN_HOURS} h)", SPAN_HOURS, fake, Path(tmp)),
            run("sweep off (span 0)", 0, fake, Path(tmp)),
        ]


def print_rows(rows: list[SweepRow]) -> None:
    print_markdown(HEADER, [row.line() for row in rows])


if __name__ == "__main__":
    print_rows(sweep_rows())
