"""Helpers and fixtures of the fake's own tests (the `fake` fixture comes from testkit.fixtures). The fake is
exercised with real boto3 clients that never retry, so every answer, and its error shape as botocore parses
it, reaches the test."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import HOUR, TEST_KEY, Event, aws_client, now_ms, put_events

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


def client(
    url: str, service: str = "logs", key: str = TEST_KEY, secret: str = TEST_KEY, token: str | None = None
) -> Any:
    """A boto3 client of `service` at `url` that makes one attempt per call."""
    return aws_client(url, service, access_key=key, secret_key=secret, session_token=token, config=NO_RETRIES)


def error_of(raised: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    """(HTTP status, error code, message) of a refused call."""
    response = raised.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def seed(logs: Any, group: str, streams: dict[str, list[Event]]) -> None:
    """Puts `group`'s log streams, each holding its (timestamp, message) events."""
    for stream, events in streams.items():
        put_events(logs, group, stream, events)


@pytest.fixture
def logs(fake: FakeCloudWatch) -> Any:
    return client(fake.url)


@pytest.fixture
def base_ms() -> int:
    """A recent timestamp, on a whole second: moto rejects events older than 14 days."""
    return now_ms() // 1000 * 1000 - HOUR
