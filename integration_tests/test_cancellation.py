"""Cancellation (issue 15, item 8): the platform cancels a sync with SIGTERM (then SIGKILL); a user presses
Ctrl-C (SIGINT). The connector stops reading, writes nothing partial, exits promptly with 128 + the signal's
number and no stack trace, and the states it wrote resume exactly.

Faked: 50 ms latency per call and pages of at most 100 events, and a storedBytes of 16 windows per group, so the
signal lands in the middle of a sync with windows in flight (moto answers instantly with the real, tiny size)."""

from __future__ import annotations

import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from source_cloudwatch_logs.ranges import TARGET_WINDOW_BYTES
from testkit.connector import config, discovered_catalog, read_with_kill
from testkit.delivery import DeliveryLedger
from testkit.docker import docker, run_image_detached
from testkit.fake_logs import FakeCloudWatch, pretend_stored_bytes
from testkit.seeding import GroupShape, logs_client, now_ms, reference_events, seed_groups

SHAPES = [GroupShape("app/a", events=3_000, streams=2), GroupShape("app/b", events=3_000, streams=1)]
GROUPS = [shape.name for shape in SHAPES]
PROMPT_S = 5  # "about 2 s" with room for a loaded CI machine; without the fix SIGTERM never ends a PID 1


def _seeded(fake: FakeCloudWatch) -> dict[str, object]:
    client = logs_client(fake.url)
    seed_groups(client, SHAPES, random.Random(15), now_ms())
    reference = reference_events(client, GROUPS)
    pretend_stored_bytes(GROUPS, 16 * TARGET_WINDOW_BYTES)
    return reference  # type: ignore[return-value]


def test_sigterm_and_sigint_stop_cleanly_and_the_states_resume_exactly(fake: FakeCloudWatch, tmp_path: Path) -> None:
    reference = _seeded(fake)
    connector_config = config(fake.url, requests_per_second=1000, num_workers=4)
    catalog = discovered_catalog(connector_config)
    fake.plan.latency_s = 0.05
    fake.plan.page_event_cap = 100
    ledger = DeliveryLedger(reference, GROUPS, repeats_within_a_run=False)  # type: ignore[arg-type]

    for stop in (signal.SIGTERM, signal.SIGINT):
        run = read_with_kill(
            tmp_path, connector_config, catalog, state=ledger.state_file(), kill_after_records=1_500, stop_signal=stop
        )
        name = signal.Signals(stop).name
        assert run.returncode == 128 + stop, run.describe()
        assert run.seconds_after_signal is not None and run.seconds_after_signal < PROMPT_S
        assert run.messages[-1]["type"] == "LOG", (name, str(run.messages[-1])[:300], str(run.messages[-1])[-300:])
        assert run.logs("WARN")[-1] == (
            f"Stopped by {name}: the sync was cancelled; the last STATE of each stream is where the next sync resumes."
        )
        assert [m for m in run.messages if m["type"] == "NOT_JSON"] == []  # nothing partial
        assert run.errors == []
        assert "Traceback" not in run.stderr and "KeyboardInterrupt" not in run.stderr
        ledger.add_run(run)
        assert len(ledger.delivered) < len(reference)  # it really stopped early

    ledger.add_run(read_with_kill(tmp_path, connector_config, catalog, state=ledger.state_file()))
    ledger.finish()
    assert ledger.violations == [], "\n".join(ledger.violations)
    assert set(ledger.delivered) == set(reference)


@pytest.mark.docker
def test_docker_stop_ends_the_container_with_sigterm(
    connector_image: str, fake: FakeCloudWatch, tmp_path: Path
) -> None:
    """In the image the connector is PID 1, which ignores SIGTERM unless it handles it: `docker stop` then waits
    its 10 s and kills (exit 137)."""
    _seeded(fake)
    connector_config = config(fake.url, requests_per_second=1000, num_workers=4)
    catalog = discovered_catalog(connector_config)
    fake.plan.latency_s = 0.3
    fake.plan.page_event_cap = 50  # 120 pages of 0.3 s on 4 workers: about 10 s of reading
    container = run_image_detached(connector_image, "read", tmp_path, config=connector_config, catalog=catalog)
    try:
        time.sleep(3)  # the sync is under way
        assert docker("inspect", "-f", "{{.State.Running}}", container).stdout.strip() == "true"
        started = time.monotonic()
        docker("stop", "-t", "10", container, check=True)
        stopped_in = time.monotonic() - started
        exit_code = docker("inspect", "-f", "{{.State.ExitCode}}", container).stdout.strip()
        logs = docker("logs", container).stdout
    finally:
        subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False)
    assert exit_code == str(128 + signal.SIGTERM)
    assert stopped_in < PROMPT_S
    assert "Stopped by SIGTERM" in logs.splitlines()[-1]
