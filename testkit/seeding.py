"""Putting log events into a CloudWatch Logs endpoint (the fake, plain moto, or any other) through boto3, and
reading them back the plain way. Needs only boto3: the demo uses it from the PyAirbyte environment.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import boto3

from testkit.messages import Event

REGION = "us-east-1"
TEST_KEY = "testing"
"""The access key id and secret key of the seeding clients and of the connector's config (any value works)."""
MAX_PUT_EVENTS = 10_000
"""PutLogEvents takes at most this many events per call; FilterLogEvents returns at most this many per page."""

MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR
"""Durations in milliseconds, the unit of CloudWatch timestamps."""


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def aws_client(
    endpoint: str,
    service: str = "logs",
    *,
    access_key: str = TEST_KEY,
    secret_key: str = TEST_KEY,
    session_token: str | None = None,
    config: Any = None,
) -> Any:
    """A boto3 client of `service` for `endpoint` (a botocore `Config` in `config`, e.g. to disable retries)."""
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        aws_session_token=session_token,
        config=config,
    )


def logs_client(endpoint: str, account: str | None = None) -> Any:
    """A CloudWatch Logs client; with `account`, every request goes to that moto account (`X-Moto-Account-Id`),
    to seed the source accounts of a monitoring account."""
    client = aws_client(endpoint)
    if account is not None:

        def to_account(request: Any, **_: Any) -> None:
            request.headers["X-Moto-Account-Id"] = account

        client.meta.events.register("before-sign.cloudwatch-logs", to_account)
    return client


def put_events(client: Any, group: str, stream: str, events: Iterable[Event]) -> None:
    """Creates the group and stream if needed, then puts the events in time order, 10,000 per call."""
    existing = {g["logGroupName"] for g in client.describe_log_groups(logGroupNamePrefix=group)["logGroups"]}
    if group not in existing:
        client.create_log_group(logGroupName=group)
    streams = client.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)["logStreams"]
    if stream not in {s["logStreamName"] for s in streams}:
        client.create_log_stream(logGroupName=group, logStreamName=stream)
    ordered = sorted(events)
    for i in range(0, len(ordered), MAX_PUT_EVENTS):
        batch = [{"timestamp": ts, "message": message} for ts, message in ordered[i : i + MAX_PUT_EVENTS]]
        client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)


def filter_pages(client: Any, **params: Any) -> Iterator[dict[str, Any]]:
    """Every page of a FilterLogEvents paging sequence with `params`, following nextToken to the end."""
    while True:
        page: dict[str, Any] = client.filter_log_events(**params)
        yield page
        if not page.get("nextToken"):
            return
        params["nextToken"] = page["nextToken"]


# ----- many log groups of random shapes, and the oracle of what they hold ------------------------------------


@dataclass(frozen=True)
class GroupShape:
    """A log group to seed: `events` spread over the last ~13 days across `streams` log streams, plus a
    burst of `burst` events sharing one millisecond (so window and page edges can cut through a burst)."""

    name: str
    events: int
    streams: int = 2
    burst: int = 0


@dataclass(frozen=True)
class Seeded:
    group: str
    stream: str
    timestamp: int
    message: str


def seed_groups(client: Any, shapes: Sequence[GroupShape], rng: random.Random, now: int) -> list[Seeded]:
    """Puts the events through the API (PutLogEvents accepts timestamps back to now - 14 days)."""
    low, high = now - 13 * DAY, now - MINUTE
    seeded: list[Seeded] = []
    for shape in shapes:
        client.create_log_group(logGroupName=shape.name)
        per_stream: dict[str, list[Event]] = {f"stream-{n}": [] for n in range(shape.streams)}
        names = list(per_stream)
        for i in range(shape.events):
            stream = names[i % len(names)]
            per_stream[stream].append((rng.randint(low, high), f"{shape.name} {stream} #{i} {rng.getrandbits(32):08x}"))
        if shape.burst:
            at = rng.randint(low, high)
            for i in range(shape.burst):
                stream = names[i % len(names)]
                per_stream[stream].append((at, f"{shape.name} {stream} burst #{i}"))
        for stream, events in per_stream.items():
            if events:
                put_events(client, shape.name, stream, events)
            else:
                client.create_log_stream(logGroupName=shape.name, logStreamName=stream)
            seeded.extend(Seeded(shape.name, stream, ts, message) for ts, message in events)
    return seeded


def group_shapes(count: int, rng: random.Random, min_events: int, max_events: int) -> Iterator[GroupShape]:
    """Log groups of varied shapes drawn from `rng`: sizes (one in ten empty), stream counts and bursts."""
    for n in range(count):
        empty = rng.random() < 0.1
        yield GroupShape(
            name=f"/chaos/{n:02d}-{rng.choice(['api', 'worker', 'lambda', 'vpc'])}",
            events=0 if empty else rng.randint(min_events, max_events),
            streams=rng.choice([1, 2, 3, 5]),
            burst=0 if empty else rng.choice([0, 0, 50, 400]),
        )


def reference_events(client: Any, groups: Iterable[str]) -> dict[str, Seeded]:
    """eventId -> event, as one plain FilterLogEvents pass over each whole group returns them (the oracle for
    eventIds, which the service assigns)."""
    reference: dict[str, Seeded] = {}
    for group in groups:
        for page in filter_pages(client, logGroupName=group, limit=MAX_PUT_EVENTS):
            for event in page["events"]:
                reference[event["eventId"]] = Seeded(
                    group, event["logStreamName"], event["timestamp"], event["message"]
                )
    return reference
