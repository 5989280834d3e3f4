"""The fake's faults (testkit/faults.py): throttling like AWS, storms, 500/503 answers, dropped connections,
latency."""

from __future__ import annotations

import time
from typing import Any

import pytest
from botocore.exceptions import ClientError, ConnectionClosedError

from testkit.fake_logs import FakeCloudWatch
from testkit.tests.conftest import error_of


def test_rate_limit_throttles_like_aws(fake: FakeCloudWatch, logs: Any) -> None:
    fake.plan.rate_limits = {"DescribeLogGroups": 1.0}

    logs.describe_log_groups()
    with pytest.raises(ClientError) as excinfo:
        logs.describe_log_groups()

    assert error_of(excinfo) == (400, "ThrottlingException", "Rate exceeded")
    assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"
    assert fake.throttles == {"DescribeLogGroups": 1}
    assert fake.calls["DescribeLogGroups"] == 2
    time.sleep(1.05)
    logs.describe_log_groups()
    assert fake.throttles == {"DescribeLogGroups": 1}


def test_throttle_all_storm(fake: FakeCloudWatch, logs: Any) -> None:
    fake.plan.throttle_all = True
    for _ in range(3):
        with pytest.raises(ClientError) as excinfo:
            logs.describe_log_groups()
        assert error_of(excinfo)[:2] == (400, "ThrottlingException")
    fake.plan.throttle_all = False

    logs.describe_log_groups()

    assert fake.throttles == {"DescribeLogGroups": 3}


def test_error_rate_gives_500_and_503(fake: FakeCloudWatch, logs: Any) -> None:
    fake.plan.error_rate = 1.0

    seen = []
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            logs.describe_log_groups()
        seen.append(error_of(excinfo)[:2])

    assert seen == [(500, "InternalFailure"), (503, "ServiceUnavailableException")]
    assert fake.faults == {"DescribeLogGroups": 2}


def test_drop_rate_closes_the_connection(fake: FakeCloudWatch, logs: Any) -> None:
    fake.plan.drop_rate = 1.0

    with pytest.raises(ConnectionClosedError):
        logs.describe_log_groups()
    fake.plan.drop_rate = 0.0
    logs.describe_log_groups()

    assert fake.faults == {"DescribeLogGroups": 1}
    assert fake.calls["DescribeLogGroups"] == 2


def test_latency(fake: FakeCloudWatch, logs: Any) -> None:
    fake.plan.latency_s = 0.2

    started = time.monotonic()
    logs.describe_log_groups()

    assert time.monotonic() - started >= 0.2


def test_a_neighbour_takes_its_calls_from_the_same_bucket_and_is_throttled_like_anyone() -> None:
    from testkit.faults import TokenBucket

    now = [0.0]
    bucket = TokenBucket(10.0, clock=lambda: now[0])
    taken = 0
    for step in range(1, 201):  # we call 10/s for 20 s into a 10/s quota, the neighbour 4/s
        now[0] = step * 0.1
        taken += bucket.try_take(10.0, 4.0)
    assert bucket.neighbour_calls == 80  # from our first call (0.1 s) every 0.25 s up to 20 s
    # The bucket refills 200 tokens in 20 s (plus its initial 10): shared, not multiplied.
    assert taken + bucket.neighbour_calls - bucket.neighbour_throttles <= 210
    assert taken < 200 and bucket.neighbour_throttles > 0
