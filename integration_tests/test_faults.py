"""Reads through a misbehaving CloudWatch (testkit/faults.py): server errors, dropped connections, throttling
storms, retries running out, rejected page tokens. Every test checks the exact set of delivered events with
the delivery ledger (testkit/delivery.py): nothing lost, nothing invented, states never ahead of
their records."""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

import pytest
from airbyte_cdk.models import AirbyteMessageSerializer
from botocore.retries.standard import ExponentialBackoff

from source_cloudwatch_logs.aws.client import READ_MAX_ATTEMPTS
from source_cloudwatch_logs.aws.waits import RATE_LIMITED_AFTER_S
from source_cloudwatch_logs.ranges import TARGET_WINDOW_BYTES
from testkit.aws_http import aws_json
from testkit.connector import Run, config, discovered_catalog, read_in_process, read_with_kill
from testkit.delivery import DEFAULT_LOOKBACK_MS, DeliveryLedger
from testkit.fake_logs import FakeCloudWatch, pretend_stored_bytes
from testkit.faults import THROTTLING
from testkit.seeding import GroupShape, Seeded, logs_client, now_ms, reference_events, seed_groups

FAST = {"requests_per_second": 1000}  # client-side pacing is not what these tests are about


def _seed(fake: FakeCloudWatch, shapes: list[GroupShape], seed: int) -> tuple[list[str], dict[str, Seeded]]:
    client = logs_client(fake.url)
    seeded = seed_groups(client, shapes, random.Random(seed), now_ms())
    groups = [shape.name for shape in shapes]
    reference = reference_events(client, groups)
    assert sorted((e.group, e.timestamp, e.message) for e in reference.values()) == sorted(
        (e.group, e.timestamp, e.message) for e in seeded
    )
    return groups, reference


def _ledger(reference: dict[str, Seeded], groups: list[str], runs: Iterable[Run], **options: bool) -> DeliveryLedger:
    ledger = DeliveryLedger(reference, groups, **options)
    for run in runs:
        ledger.add_run(run)
    ledger.finish()
    return ledger


def _summary_counts(run: Run) -> tuple[int, int]:
    """(throttled, other failed attempts) from the connector's final progress line."""
    (line,) = [m for m in run.logs("INFO") if m.startswith("Progress:")][-1:]
    match = re.search(r"(\d+) throttled, (\d+) other failed attempts", line)
    assert match, line
    return int(match.group(1)), int(match.group(2))


# ----- 500/503 and dropped connections ------------------------------------------------------------------

FAULT_SHAPES = [GroupShape(f"/faults/{n}", events=2_500, streams=2) for n in range(6)]


@pytest.mark.parametrize("rate", [0.02, 0.20], ids=["2pct", "20pct"])
def test_server_errors_and_dropped_connections_lose_nothing(fake: FakeCloudWatch, tmp_path: Path, rate: float) -> None:
    """Faked: a seeded `rate` of all logs calls of the read fails, half of them as HTTP 500 InternalFailure /
    503 ServiceUnavailable (alternating), half as a connection closed before any response byte; pages of at
    most 50 events make ~300 FilterLogEvents calls, few enough that botocore's retry quota (500 tokens, 14
    per retry, refunded on success) never runs out, so every call succeeds within its 10 attempts."""
    groups, reference = _seed(fake, FAULT_SHAPES, seed=6)
    connector_config = config(fake.url, **FAST)
    catalog = discovered_catalog(connector_config)
    fake.plan.page_event_cap = 50
    fake.plan.seed = 2026
    fake.plan.error_rate = rate / 2
    fake.plan.drop_rate = rate / 2
    calls_before = sum(fake.calls.values())

    run = read_with_kill(tmp_path, connector_config, catalog)

    faults, calls = sum(fake.faults.values()), sum(fake.calls.values()) - calls_before
    context = f"{faults} faults injected in the read's {calls} calls ({dict(fake.faults)}); {run.describe()}"
    ledger = _ledger(reference, groups, [run], repeats_within_a_run=True)
    assert run.returncode == 0, context
    assert ledger.violations == [], context + "\n" + "\n".join(ledger.violations)
    assert {r["data"]["eventId"] for r in run.records} == set(reference), context
    assert faults >= (2 if rate < 0.1 else 20), context  # the faults did happen
    assert _summary_counts(run) == (0, faults), context  # and the connector saw every one of them


# ----- throttling ---------------------------------------------------------------------------------------

STORM_SHAPES = [GroupShape(f"/storm/{n}", events=3_000, streams=2) for n in range(4)]
STORM_SECONDS = 3.0


def test_a_throttling_storm_mid_sync_then_recovery_loses_nothing(fake: FakeCloudWatch, tmp_path: Path) -> None:
    """Faked: every logs call is answered with HTTP 400 ThrottlingException for 3 s, starting once the read
    has made 10 FilterLogEvents calls (mid-sync), then the service recovers; 20 ms latency and pages of at most
    100 events keep the sync going before and after the storm. botocore's standard mode backs off (1 s scale
    for throttles, 10 attempts) and every call gets through."""
    groups, reference = _seed(fake, STORM_SHAPES, seed=3)
    connector_config = config(fake.url, **FAST)
    catalog = discovered_catalog(connector_config)
    fake.plan.page_event_cap = 100
    fake.plan.latency_s = 0.02
    before = fake.calls["FilterLogEvents"]
    storm: dict[str, int] = {}

    def weather() -> None:
        deadline = time.monotonic() + 120
        while fake.calls["FilterLogEvents"] < before + 10 and time.monotonic() < deadline:
            time.sleep(0.005)
        storm["calls_before"] = fake.calls["FilterLogEvents"] - before
        fake.plan.throttle_all = True
        time.sleep(STORM_SECONDS)
        fake.plan.throttle_all = False
        storm["calls_at_end"] = fake.calls["FilterLogEvents"] - before

    thread = threading.Thread(target=weather, name="throttling-storm", daemon=True)
    thread.start()
    run = read_with_kill(tmp_path, connector_config, catalog)
    thread.join(timeout=10)

    throttled = fake.throttles["FilterLogEvents"]
    context = f"storm {storm}, {throttled} throttled answers, {dict(fake.calls)} calls; {run.describe()}"
    assert "calls_at_end" in storm, context  # the storm began and ended while the read ran
    ledger = _ledger(reference, groups, [run])
    assert run.returncode == 0, context
    assert ledger.violations == [], context + "\n" + "\n".join(ledger.violations)
    assert {r["data"]["eventId"] for r in run.records} == set(reference), context
    # The storm hit a sync in progress: calls were throttled, and reading went on after it ended.
    assert throttled > 0, context
    assert fake.calls["FilterLogEvents"] - before > storm["calls_at_end"], context
    assert _summary_counts(run) == (throttled, 0), context


LIMITED_SHAPES = [GroupShape(f"/limited/{n}", events=1_500, streams=2) for n in range(2)]
LIMITED_STORM_S = 2 * RATE_LIMITED_AFTER_S


def _status_messages(run: Run, stream: str) -> list[dict[str, Any]]:
    return [
        m["trace"]["stream_status"]
        for m in run.of("TRACE")
        if m["trace"]["type"] == "STREAM_STATUS" and m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream
    ]


def test_a_stream_waiting_for_the_quota_says_rate_limited_then_running_then_completes(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    """Faked: every logs call is answered with HTTP 400 ThrottlingException for twice RATE_LIMITED_AFTER_S (10 s),
    starting once the read has made 5 FilterLogEvents calls; pages of at most 100 events and 20 ms latency keep
    both streams reading before and after. Each stream's calls wait through botocore's backoff for longer than
    RATE_LIMITED_AFTER_S: it says RUNNING with the reason RATE_LIMITED (once), then a plain RUNNING when a call
    of it is answered, then COMPLETE, and nothing after. The CDK reads every message back
    (AirbyteMessageSerializer), its entry point's record counts on STATE are the records, and every event is
    delivered."""
    groups, reference = _seed(fake, LIMITED_SHAPES, seed=24)
    connector_config = config(fake.url, **FAST)
    catalog = discovered_catalog(connector_config)
    fake.plan.page_event_cap = 100
    fake.plan.latency_s = 0.02
    before = fake.calls["FilterLogEvents"]
    storm: dict[str, float] = {}

    def weather() -> None:
        deadline = time.monotonic() + 120
        while fake.calls["FilterLogEvents"] < before + 5 and time.monotonic() < deadline:
            time.sleep(0.005)
        fake.plan.throttle_all = True
        storm["began_ms"] = time.time() * 1000
        time.sleep(LIMITED_STORM_S)
        fake.plan.throttle_all = False
        storm["ended_ms"] = time.time() * 1000

    thread = threading.Thread(target=weather, name="throttling-storm", daemon=True)
    thread.start()
    run = read_with_kill(tmp_path, connector_config, catalog)
    thread.join(timeout=LIMITED_STORM_S + 10)

    context = f"storm {storm}, {fake.throttles['FilterLogEvents']} throttled answers; {run.describe()}"
    assert "ended_ms" in storm, context
    assert run.returncode == 0 and run.errors == [], context
    ledger = _ledger(reference, groups, [run])
    assert ledger.violations == [], context + "\n" + "\n".join(ledger.violations)
    assert {r["data"]["eventId"] for r in run.records} == set(reference), context
    # Every message reads back as the CDK's own model (what the CDK and PyAirbyte parse output with).
    for message in run.messages:
        AirbyteMessageSerializer.load(message)
    for group in groups:
        statuses = _status_messages(run, group)
        kinds = [(s["status"], [r["type"] for r in s.get("reasons") or []]) for s in statuses]
        limited = [i for i, kind in enumerate(kinds) if kind == ("RUNNING", ["RATE_LIMITED"])]
        assert limited, (group, kinds, context)
        assert kinds[0] == ("STARTED", []) and kinds[-1] == ("COMPLETE", []), (group, kinds)
        assert kinds.count(("COMPLETE", [])) == 1, (group, kinds)
        # Once per waiting stretch: a plain RUNNING between two RATE_LIMITED, and one after the last.
        for first, second in zip(limited, [*limited[1:], len(kinds) - 1], strict=True):
            assert ("RUNNING", []) in kinds[first + 1 : second], (group, kinds)
        reset_ms = statuses[limited[0]]["reasons"][0]["rate_limited"]["quota_reset"]
        assert storm["began_ms"] < reset_ms < storm["ended_ms"] + 60_000, (group, reset_ms, storm)
        counted = sum(
            m["state"]["sourceStats"]["recordCount"]
            for m in run.of("STATE")
            if m["state"]["stream"]["stream_descriptor"]["name"] == group
        )
        assert counted == len(run.records_of(group)), (group, counted)


def _throttle_group_from(
    fake: FakeCloudWatch, group: str, cut: int, throttled_windows: Counter[int]
) -> Callable[[WSGIEnvironment, StartResponse, str, dict[str, Any]], Iterable[bytes]]:
    """Answers ThrottlingException to every FilterLogEvents call on `group` for a window starting at or after
    `cut` (counted per window start in `throttled_windows`); everything else is served as usual."""
    serve = fake._logs_call

    def throttling(
        environ: WSGIEnvironment, start_response: StartResponse, operation: str, params: dict[str, Any]
    ) -> Iterable[bytes]:
        if operation == "FilterLogEvents" and params.get("logGroupName") == group and params["startTime"] >= cut:
            with fake._lock:
                fake.calls[operation] += 1
                fake.throttles[operation] += 1
                throttled_windows[params["startTime"]] += 1
            return aws_json(start_response, 400, THROTTLING)
        return serve(environ, start_response, operation, params)

    return throttling


def test_throttling_until_retries_run_out_fails_the_stream_as_transient_and_resume_completes_it(
    fake: FakeCloudWatch, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Faked: FilterLogEvents on one log group is throttled without end for its time windows from the middle
    of its data on; the other groups are served normally. storedBytes of 8 x TARGET_WINDOW_BYTES per group make the connector
    cut each group into ~8 windows, so the victim's first windows succeed and checkpoint. botocore's backoff
    sleep is patched to 0 (in this process) so its 10 attempts run out at once instead of after minutes.
    Then a second read with throttling off resumes from the states the first one emitted."""
    shapes = [GroupShape(name, events=800, streams=2, burst=30) for name in ("app/a", "app/b", "app/c")]
    groups, reference = _seed(fake, shapes, seed=4)
    victim = "app/b"
    victim_times = sorted(e.timestamp for e in reference.values() if e.group == victim)
    cut = victim_times[len(victim_times) // 2]
    pretend_stored_bytes(groups, 8 * TARGET_WINDOW_BYTES)
    connector_config = config(fake.url, **FAST)
    catalog = discovered_catalog(connector_config)
    throttled_windows: Counter[int] = Counter()
    with monkeypatch.context() as patch:
        patch.setattr(fake, "_logs_call", _throttle_group_from(fake, victim, cut, throttled_windows))
        patch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
        first = read_in_process(connector_config, catalog)
    vars(fake).pop("_logs_call", None)  # the session's fake serves with its own method again

    # The victim's stream failed, transiently, naming the stream and the throttling; the sync failed.
    stream_errors = [e for e in first.errors if e.get("stream_descriptor")]
    assert [(e["message"], e["failure_type"], e["stream_descriptor"]["name"]) for e in stream_errors] == [
        (
            f"Stream '{victim}': logs:FilterLogEvents failed with ThrottlingException: Rate exceeded",
            "system_error",
            victim,
        )
    ] * len(throttled_windows)
    assert first.returncode == 1
    assert first.statuses(victim)[-1] == "INCOMPLETE"
    # botocore gave up on each throttled window after exactly the connector's attempt budget.
    assert throttled_windows and set(throttled_windows.values()) == {READ_MAX_ATTEMPTS}, throttled_windows
    # Every window before the first throttled one finished and was checkpointed: the victim's state is exactly
    # the start of that window, inside its data; the other streams completed with final states.
    states = first.final_states()
    assert states[victim] == min(throttled_windows), (states, sorted(throttled_windows))
    assert cut <= states[victim] <= victim_times[-1]
    for group in groups:
        if group != victim:
            assert first.statuses(group)[-1] == "COMPLETE"
            assert states[group] > max(e.timestamp for e in reference.values() if e.group == group)

    time.sleep(1.1)  # CloudWatch's clock (the Date header) has whole seconds: the second read must end later
    second = read_in_process(connector_config, catalog, first.state)

    ledger = _ledger(reference, groups, [first, second], failures_allowed=True)
    assert ledger.violations == [], "\n".join(ledger.violations)
    assert second.errors == [] and second.returncode == 0
    # The second read re-reads each stream from its newest event or its lookback, whichever is earlier: the lag
    # learned from the first read (events put days after their timestamps) asks for the most, max_lookback.
    resume = {
        group: min(s["newest_event_timestamp"], s["timestamp"] - DEFAULT_LOOKBACK_MS)
        for group in groups
        for s in [first.stream_state(group)]
    }
    assert all(first.stream_state(group)["ingestion_lag_ms"] > DEFAULT_LOOKBACK_MS for group in groups)
    assert {r["data"]["eventId"] for r in second.records} == {
        i for i, e in reference.items() if e.timestamp >= resume[e.group]
    }
    assert {i for i, e in reference.items() if e.group == victim and e.timestamp >= states[victim]} <= {
        r["data"]["eventId"] for r in second.records
    }


# ----- rejected page token ------------------------------------------------------------------------------


def test_a_rejected_next_token_restarts_its_window_and_loses_nothing(fake: FakeCloudWatch, tmp_path: Path) -> None:
    """Faked: the first FilterLogEvents call carrying a nextToken fails with InvalidParameterException "The
    specified nextToken is invalid." (what an expired token gets: tokens expire after 24 h), and pages hold at
    most 100 events, so each group's single window takes 10 pages. The connector restarts that window from
    its start: its first page is delivered twice, with the same eventIds, and nothing is lost."""
    shapes = [GroupShape(f"/tokens/{n}", events=1_000, streams=2) for n in range(3)]
    groups, reference = _seed(fake, shapes, seed=5)
    client = logs_client(fake.url)
    first_pages = {
        group: {e["eventId"] for e in client.filter_log_events(logGroupName=group, limit=100)["events"]}
        for group in groups
    }
    connector_config = config(fake.url, **FAST)
    catalog = discovered_catalog(connector_config)
    fake.plan.page_event_cap = 100
    fake.plan.reject_next_token_once = True

    run = read_with_kill(tmp_path, connector_config, catalog)

    assert fake.plan.reject_next_token_once is False, "the fake never rejected a token"
    ledger = _ledger(reference, groups, [run], repeats_within_a_run=True)
    assert run.returncode == 0 and run.errors == [], run.describe()
    assert ledger.violations == [], "\n".join(ledger.violations)
    ids = Counter(r["data"]["eventId"] for r in run.records)
    assert set(ids) == set(reference)
    repeated = {event_id for event_id, count in ids.items() if count > 1}
    assert max(ids.values()) == 2
    assert repeated in first_pages.values(), repeated  # exactly the first page of one group's window
