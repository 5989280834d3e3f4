"""Which stream waits for a quota, told once per waiting stretch longer than RATE_LIMITED_AFTER_S, and once when
it proceeds (aws/waits.py), and how the client tells it: paced slots, botocore's backoff, answered calls."""

from __future__ import annotations

import json
import threading
from typing import Any

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries.standard import ExponentialBackoff

from source_cloudwatch_logs.aws.client import retry_without_quota, tell_answers
from source_cloudwatch_logs.aws.waits import RATE_LIMITED_AFTER_S, Waits

Heard = tuple[str, bool, int | None]
WALL_MS = 1_700_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now_s = 50.0

    def monotonic(self) -> float:
        return self.now_s

    def wall_ms(self) -> int:
        return WALL_MS + round(self.now_s * 1000)

    def sleep(self, seconds: float) -> None:
        self.now_s += seconds


def waits_heard() -> tuple[Waits, list[Heard], Clock]:
    heard: list[Heard] = []
    clock = Clock()
    waits = Waits(
        on_wait=lambda stream, waiting, resume_at_ms: heard.append((stream, waiting, resume_at_ms)),
        clock=clock.monotonic,
        wall_ms=clock.wall_ms,
        sleep=clock.sleep,
    )
    return waits, heard, clock


def test_a_stretch_longer_than_the_threshold_is_told_once_with_its_resume_time_then_the_stream_proceeds() -> None:
    waits, heard, clock = waits_heard()
    with waits.calling("a"):
        waits.sleep(2.0)  # 2 s into the stretch: not yet
        waits.sleep(2.0)  # 4 s
        assert heard == []
        waits.sleep(4.0)  # this wait ends 8 s into the stretch: told before it begins, with when it ends
        assert heard == [("a", True, WALL_MS + round((50.0 + 4.0) * 1000) + 4000)]
        waits.sleep(8.0)  # the same stretch: not told again
        waits.waiting(20.0)
        assert len(heard) == 1
        waits.answered()
        assert heard[1:] == [("a", False, None)]
        waits.answered()  # answered without waiting: nothing to tell
        assert len(heard) == 2
    assert clock.now_s == 50.0 + 2 + 2 + 4 + 8


def test_short_waits_between_answers_never_add_up_to_a_stretch() -> None:
    waits, heard, _ = waits_heard()
    with waits.calling("a"):
        for _ in range(100):
            waits.sleep(RATE_LIMITED_AFTER_S / 2)
            waits.answered()
    assert heard == []


def test_each_stream_has_its_own_stretch_and_calls_of_nobody_are_not_told() -> None:
    waits, heard, _ = waits_heard()
    waits.sleep(60.0)  # discovery's, say: no stream
    waits.answered()
    with waits.calling("a"):
        waits.waiting(RATE_LIMITED_AFTER_S + 1)
        with waits.calling("b"):
            waits.waiting(1.0)
            waits.answered()  # b proceeds; a still waits
        waits.answered()
    assert heard == [("a", True, WALL_MS + 110_000 + round((RATE_LIMITED_AFTER_S + 1) * 1000)), ("a", False, None)]


def test_a_stream_is_the_calling_threads_only() -> None:
    waits, heard, _ = waits_heard()
    with waits.calling("a"):
        other = threading.Thread(target=waits.waiting, args=(RATE_LIMITED_AFTER_S + 1,))
        other.start()
        other.join()
    assert heard == []


def test_the_client_tells_botocores_backoff_and_the_answer_to_the_calling_stream(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Faked: the HTTP exchange (AWS's throttling answer three times, then success) and botocore's backoff
    (3 s per retry, not slept)."""
    waits, heard, clock = waits_heard()
    client = botocore.session.get_session().create_client(
        "logs", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    retry_without_quota(client, 10, waits)
    tell_answers(client, waits)
    throttled = {"__type": "ThrottlingException", "message": "Rate exceeded"}
    answers = [(400, throttled)] * 3 + [(200, {"events": []})]

    def answer(request: Any, **_: Any) -> AWSResponse:
        status, body = answers.pop(0)
        response = AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"}, raw=None)
        response._content = json.dumps(body).encode()
        return response

    client.meta.events.register("before-send.cloudwatch-logs.FilterLogEvents", answer)
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 3.0)
    monkeypatch.setattr("time.sleep", clock.sleep)  # botocore's sleep between attempts
    with waits.calling("a"):
        client.filter_log_events(logGroupName="g")
    # A first wait of 3 s, then one ending 6 s into the stretch: told once, before it begins; then the answer.
    assert [(stream, waiting) for stream, waiting, _ in heard] == [("a", True), ("a", False)]
    assert heard[0][2] == WALL_MS + round((50.0 + 3.0) * 1000) + 3000
    assert clock.now_s == 50.0 + 3 * 3.0
