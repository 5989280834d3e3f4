"""The shared client: explicit retries, and every attempt paced and counted."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import ANY

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.retries.standard import ExponentialBackoff

from source_cloudwatch_logs.aws.client import READ_MAX_ATTEMPTS, connect
from source_cloudwatch_logs.aws.pacing import ApiStats, RateLimiter, pace
from unit_tests.conftest import BASE_CONFIG, settings_of


def test_the_client_has_explicit_retries_and_paces_every_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    api = connect(settings_of({"region_name": "eu-west-1", "requests_per_second": 2}))
    assert api.client.meta.config.retries == {"mode": "standard", "total_max_attempts": READ_MAX_ATTEMPTS}

    sent: list[str] = []
    limiter_calls: list[str] = []

    class Recording(RateLimiter):
        def acquire(self) -> float:
            limiter_calls.append("FilterLogEvents")
            return 0.0

    client = botocore.session.get_session().create_client(
        "logs", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    stats = ApiStats()
    pace(client, {"FilterLogEvents": Recording(1)}, stats)

    throttled = {"__type": "ThrottlingException", "message": "Rate exceeded"}
    answers = [(400, throttled), (400, throttled), (200, {"events": []})]

    def answer(request: Any, **_: Any) -> AWSResponse:
        """Faked: the HTTP exchange (AWS's throttling answer, then success), so no server is needed."""
        status, body = answers.pop(0)
        sent.append(request.url)
        response = AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"}, raw=None)
        response._content = json.dumps(body).encode()
        return response

    client.meta.events.register("before-send.cloudwatch-logs.FilterLogEvents", answer)
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)  # no real backoff sleeps
    client.filter_log_events(logGroupName="g")
    assert len(sent) == 3  # two throttled attempts, then success
    assert limiter_calls == ["FilterLogEvents"] * 3
    assert stats.calls == {"FilterLogEvents": 3}
    assert stats.throttles == {"FilterLogEvents": 2}


def test_sustained_throttling_never_exhausts_a_retry_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore's standard retry quota (500 tokens, 5 per throttled retry) stops retrying after 100 throttled
    retries of one client. Here 30 calls are each throttled 5 times before they succeed (150 throttled retries):
    every call succeeds. Faked: the HTTP exchange (AWS's throttling answer), and backoff sleeps are zero."""
    logs = connect(settings_of(BASE_CONFIG))
    throttled = {"__type": "ThrottlingException", "message": "Rate exceeded"}
    answers = ([(400, throttled)] * 5 + [(200, {"events": []})]) * 30

    def answer(request: Any, **_: Any) -> AWSResponse:
        status, body = answers.pop(0)
        response = AWSResponse(request.url, status, {"Content-Type": "application/x-amz-json-1.1"}, raw=None)
        response._content = json.dumps(body).encode()
        return response

    logs.client.meta.events.register("before-send.cloudwatch-logs.FilterLogEvents", answer)
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    monkeypatch.setattr(RateLimiter, "acquire", lambda self: 0.0)  # pacing is not under test here
    for _ in range(30):
        assert logs.client.filter_log_events(logGroupName="g") == {"events": [], "ResponseMetadata": ANY}
    assert answers == []
    assert logs.stats.throttles == {"FilterLogEvents": 150}
