"""`make chaos`: the long randomized crash-resume run (integration_tests/test_crash_resume.py is the short one).

Rounds until `--kills` SIGKILLs have been dealt. Each round seeds a fresh set of log groups of random shapes
(2-10 groups, some empty, 1-5 log streams, bursts of events in one millisecond), picks a random window plan
(1 to 32 windows per group, by faking storedBytes), a random fake (latency, page size, empty pages, and in
some rounds 2% server errors and dropped connections on top of the kills), a random worker count, and then
kills the real entry point at random points and resumes it from the delivered states until a run completes.
Every message of every run goes through the delivery ledger (testkit/delivery.py).

    python -m benchmarks.chaos --seed 7 --kills 100

Prints a line per round and a summary; exits 1 when any round found a violation (they are printed).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from source_cloudwatch_logs.ranges import TARGET_WINDOW_BYTES
from testkit.connector import Run, config, discovered_catalog
from testkit.delivery import DeliveryLedger, crash_and_resume
from testkit.fake_logs import FakeCloudWatch, pretend_stored_bytes
from testkit.faults import FaultPlan
from testkit.seeding import group_shapes, logs_client, now_ms, reference_events, seed_groups


@dataclass
class Round:
    number: int
    groups: int
    windows_per_group: int
    workers: int
    plan: FaultPlan
    ledger: DeliveryLedger
    faults: int
    seconds: float

    def line(self) -> str:
        plan = self.plan
        fake = (
            f"latency={plan.latency_s * 1000:.0f}ms cap={plan.page_event_cap} empty_every={plan.empty_page_every} "
            f"faults={plan.error_rate + plan.drop_rate:.0%}({self.faults})"
        )
        verdict = "ok" if not self.ledger.violations else f"{len(self.ledger.violations)} VIOLATIONS"
        return (
            f"round {self.number:3d}: groups={self.groups} windows/group~{self.windows_per_group} "
            f"workers={self.workers} {fake} | {self.ledger.summary.line()} | {self.seconds:.0f} s | {verdict}"
        )


def random_plan(rng: random.Random) -> FaultPlan:
    faulty = rng.random() < 0.3
    return FaultPlan(
        latency_s=rng.choice([0.0, 0.01, 0.03]),
        page_event_cap=rng.choice([None, 50, 100, 500, 2_000]),
        empty_page_every=rng.choice([0, 0, 3, 7]),
        error_rate=0.01 if faulty else 0.0,
        drop_rate=0.01 if faulty else 0.0,
        seed=rng.getrandbits(32),
    )


def play_round(number: int, fake: FakeCloudWatch, rng: random.Random, kills: int, workdir: Path) -> Round:
    fake.plan = FaultPlan()
    fake.reset()
    client = logs_client(fake.url)
    shapes = list(group_shapes(rng.randint(2, 10), rng, min_events=100, max_events=4_000))
    seed_groups(client, shapes, rng, now_ms())
    groups = [shape.name for shape in shapes]
    reference = reference_events(client, groups)
    windows = rng.choice([1, 4, 16, 32])
    if windows > 1:
        pretend_stored_bytes(groups, windows * TARGET_WINDOW_BYTES)
    workers = rng.choice([1, 2, 4, 10])
    connector_config = config(fake.url, requests_per_second=1000, num_workers=workers)
    catalog = discovered_catalog(connector_config)
    plan = random_plan(rng)
    fake.plan = plan
    started = time.monotonic()

    def progress(run: Run, kill_after: int | None, ledger: DeliveryLedger) -> None:
        what = f"killed after {kill_after} records" if run.killed else f"completed (exit {run.returncode})"
        print(f"    run {ledger.summary.runs}: {what}, {len(run.of('STATE'))} states, {run.seconds:.1f} s", flush=True)

    ledger = crash_and_resume(workdir, connector_config, catalog, reference, rng, kills=kills, on_run=progress)
    return Round(
        number, len(groups), windows, workers, plan, ledger, sum(fake.faults.values()), time.monotonic() - started
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=int(time.time()), help="default: the current time")
    parser.add_argument("--kills", type=int, default=100, help="SIGKILLs to deal in total (default 100)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    print(f"chaos: seed {args.seed}, {args.kills} kills (rerun with --seed {args.seed} to replay)", flush=True)

    rounds: list[Round] = []
    started = time.monotonic()
    with FakeCloudWatch(record_requests=False) as fake, tempfile.TemporaryDirectory() as tmp:
        while sum(r.ledger.summary.kills for r in rounds) < args.kills:
            left = args.kills - sum(r.ledger.summary.kills for r in rounds)
            played = play_round(len(rounds) + 1, fake, rng, min(left, rng.randint(5, 15)), Path(tmp))
            rounds.append(played)
            print(played.line(), flush=True)
            for violation in played.ledger.violations:
                print(f"    VIOLATION {violation[:1000]}", flush=True)

    summaries = [r.ledger.summary for r in rounds]
    violations = sum(len(r.ledger.violations) for r in rounds)
    totals: dict[str, Any] = {
        "seed": args.seed,
        "rounds": len(rounds),
        "runs": sum(s.runs for s in summaries),
        "kills": sum(s.kills for s in summaries),
        "events": sum(s.events for s in summaries),
        "deliveries": sum(s.deliveries for s in summaries),
        "repeats": sum(s.repeats for s in summaries),
        "max_repeats": max(s.max_repeats for s in summaries),
        "faults": sum(r.faults for r in rounds),
        "violations": violations,
        "minutes": round((time.monotonic() - started) / 60, 1),
    }
    print("chaos summary: " + " ".join(f"{key}={value}" for key, value in totals.items()), flush=True)
    print("PASS: every event delivered, every repeat explained" if not violations else "FAIL", flush=True)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
