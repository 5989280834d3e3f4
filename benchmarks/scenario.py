"""Realistic CloudWatch Logs content for the benchmarks: API Gateway access logs (the JSON formats
AWS documents), Lambda runtime lines, unicode, multi-line stack traces and a few large events."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass

from testkit.seeding import DAY, HOUR

PATHS = ["/orders", "/orders/{id}", "/users", "/users/{id}/cart", "/health", "/checkout", "/search"]
AGENTS = ["Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "okhttp/4.12.0", "Amazon CloudFront"]


def rest_access_log(rng: random.Random, epoch_ms: int) -> str:
    status = rng.choices([200, 201, 204, 400, 403, 404, 429, 500, 502], [60, 8, 4, 6, 2, 8, 2, 3, 1])[0]
    return json.dumps(
        {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "api.example.com",
            "extendedRequestId": f"{rng.getrandbits(48):012x}=",
            "requestId": f"{rng.getrandbits(128):032x}",
            "httpMethod": rng.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE"]),
            "ip": f"203.0.113.{rng.randint(1, 254)}",
            "user": "-",
            "userAgent": rng.choice(AGENTS),
            "userArn": "-",
            "apiKeyId": "-",
            "protocol": "HTTP/1.1",
            "requestTimeEpoch": str(epoch_ms),
            "path": rng.choice(PATHS),
            "status": str(status),
            "responseLength": str(rng.randint(0, 40_000)),
            "stage": "prod",
        },
        separators=(",", ":"),
    )


def http_access_log(rng: random.Random, epoch_ms: int) -> str:
    record = json.loads(rest_access_log(rng, epoch_ms))
    for key in ("requestId", "apiKeyId"):
        record.pop(key)
    record["routeKey"] = f"{record['httpMethod']} {record['path']}"
    return json.dumps(record, separators=(",", ":"))


def lambda_line(rng: random.Random, epoch_ms: int) -> str:
    request = f"{rng.getrandbits(64):016x}-{rng.getrandbits(16):04x}"
    kind = rng.random()
    if kind < 0.25:
        return f"START RequestId: {request} Version: $LATEST"
    if kind < 0.5:
        return f"END RequestId: {request}"
    if kind < 0.75:
        duration = rng.uniform(1, 900)
        return (
            f"REPORT RequestId: {request}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
            f"Memory Size: 512 MB\tMax Memory Used: {rng.randint(60, 500)} MB"
        )
    if kind < 0.97:
        return f"{request}\tINFO\tprocessed order {rng.randint(1, 10**6)} for café «{rng.choice(['東京', 'Zürich', 'São Paulo'])}» ✓"
    return (
        f'{request}\tERROR\tInvoke Error\nTraceback (most recent call last):\n  File "/var/task/app.py", line 42, in '
        f"handler\n    raise ValueError('bad input')\nValueError: bad input"
    )


def large_event(rng: random.Random, epoch_ms: int) -> str:
    return "DUMP " + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(200_000))


GENERATORS = {"apigw-rest": rest_access_log, "apigw-http": http_access_log, "lambda": lambda_line}


@dataclass(frozen=True)
class GroupPlan:
    name: str
    kind: str
    events: int


def plan_groups(total_groups: int, total_events: int, seed: int = 1) -> list[GroupPlan]:
    """A skewed mix: a few big groups (100k+ when the total allows), many small ones, some empty."""
    rng = random.Random(seed)
    big = max(1, total_groups // 20)
    empty = max(1, total_groups // 8)
    small = total_groups - big - empty
    small_sizes = [rng.randint(50, 3_000) for _ in range(small)]
    big_total = max(0, total_events - sum(small_sizes))
    big_sizes = [big_total // big + (1 if i < big_total % big else 0) for i in range(big)]
    kinds = list(GENERATORS)
    plans = [GroupPlan(f"/aws/apigateway/big-{i}", kinds[i % 2], n) for i, n in enumerate(big_sizes)]
    plans += [GroupPlan(f"/aws/lambda/fn-{i:03d}", kinds[i % 3], n) for i, n in enumerate(small_sizes)]
    plans += [GroupPlan(f"/app/empty-{i}", "lambda", 0) for i in range(empty)]
    return plans


def events_for(plan: GroupPlan, now_ms: int, seed: int = 1) -> Iterator[tuple[int, str]]:
    """Events over the last 13 days, in bursts: many share a millisecond; about 1 in 20,000 is large."""
    rng = random.Random(f"{seed}:{plan.name}")
    make = GENERATORS[plan.kind]
    start = now_ms - 13 * DAY
    produced = 0
    while produced < plan.events:
        burst_at = rng.randint(start, now_ms - HOUR)
        for _ in range(min(plan.events - produced, rng.choice([1, 1, 2, 5, 40]))):
            timestamp = burst_at + rng.choice([0, 0, 0, 1, 7])
            message = large_event(rng, timestamp) if rng.random() < 0.00005 else make(rng, timestamp)
            yield timestamp, message
            produced += 1
