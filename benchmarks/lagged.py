"""Late arrivals with default settings: several syncs of the lagged-arrival scenario (testkit.arrivals), and the
same with no late events, reporting what was missed, what was repeated and what each sync cost in calls.

`python -m benchmarks.lagged` prints the table alone; `make bench` includes it (scenario 5).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import print_markdown
from testkit.arrivals import LaggedScenario, Timeline, connector_settings
from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import DAY, MINUTE, logs_client, now_ms

SCENARIOS = {
    "late: 1-20 min lags, back-fills": LaggedScenario(
        busy_groups=("/lagged/vpc-flow", "/lagged/cloudtrail", "/lagged/agent", "/lagged/api"),
        history_ms=12 * 60 * MINUTE,
        live_ms=4 * 60 * MINUTE,
    ),
    "on time: lags under 1 min": LaggedScenario(
        busy_groups=("/lagged/vpc-flow", "/lagged/cloudtrail", "/lagged/agent", "/lagged/api"),
        history_ms=12 * 60 * MINUTE,
        live_ms=4 * 60 * MINUTE,
        lags_ms=(0, MINUTE),
        back_dated=False,
    ),
}


@dataclass
class LaggedRow:
    scenario: str
    streams: int
    syncs: int  # incremental syncs after the first, full one
    events: int
    missing: int
    duplicates: int
    calls: list[int]  # FilterLogEvents calls of each incremental sync
    late_found: int
    wall_s: float

    def line(self) -> str:
        calls = f"{statistics.mean(self.calls):.1f} ({min(self.calls)}-{max(self.calls)})"
        return (
            f"| {self.scenario:32} | {self.streams:7} | {self.syncs:5} | {self.events:6} | {self.missing:7} | "
            f"{self.duplicates:10} | {self.duplicates / self.syncs:14.1f} | {calls:21} | {self.late_found:10} | "
            f"{self.wall_s:6.1f} |"
        )


HEADER = (
    "| scenario                         | streams | syncs | events | missing | duplicates | duplicates/sync "
    "| filter calls/sync     | late found | wall s |"
)


def run(name: str, scenario: LaggedScenario, fake: FakeCloudWatch, workdir: Path) -> LaggedRow:
    started = time.monotonic()
    fake.reset()
    start = (now_ms() - 2 * DAY) // MINUTE * MINUTE
    timeline = Timeline(fake, logs_client(fake.url), now_ms=start - scenario.history_ms)
    timeline.create_groups(scenario.groups)
    timeline.schedule(scenario.arrivals(start, random.Random(20261130)))
    settings = connector_settings(fake.url)
    timeline.advance_to(start)
    timeline.sync(workdir, settings)
    for number in range(1, scenario.live_ms // scenario.sync_every_ms + 1):
        timeline.advance_to(start + number * scenario.sync_every_ms)
        timeline.sync(workdir, settings)
    timeline.advance_to(start + scenario.live_ms + 2 * 60 * MINUTE)  # every event has arrived and settled
    timeline.sync(workdir, settings)
    incremental = timeline.syncs[1:]
    late = 0
    for report in incremental:
        for line in report.finished:
            if " late events found" in line:
                late += int(line.split("; ")[1].split()[0])
    return LaggedRow(
        scenario=name,
        streams=len(scenario.groups),
        syncs=len(incremental),
        events=len(timeline.arrived),
        missing=len(timeline.missing()) + len(timeline.unknown()),
        duplicates=sum(r.duplicates for r in timeline.syncs),
        calls=[r.filter_calls for r in incremental],
        late_found=late,
        wall_s=time.monotonic() - started,
    )


def lagged_rows() -> list[LaggedRow]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp, FakeCloudWatch(record_requests=False) as fake:
        for name, scenario in SCENARIOS.items():
            rows.append(run(name, scenario, fake, Path(tmp)))
    return rows


def print_rows(rows: list[LaggedRow]) -> None:
    print_markdown(HEADER, [row.line() for row in rows])


if __name__ == "__main__":
    print_rows(lagged_rows())
