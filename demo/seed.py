"""Realistic CloudWatch Logs for the demo: API Gateway access logs, Lambda logs and an application log.

The access logs use the JSON formats that AWS documents for API Gateway access logging (REST API: `$context`
variables including requestId and apiKeyId; HTTP API: the same without them); every value is a string, and
variables without a value are "-", as API Gateway writes them. Everything is generated from a fixed seed.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from testkit.seeding import DAY, HOUR, MINUTE, Event, put_events

ACCOUNT = "123456789012"

REST_GROUP = "/aws/apigateway/orders-api/access"
HTTP_GROUP = "/aws/apigateway/payments-api/access"
LAMBDA_GROUP = "/aws/lambda/orders-handler"
PAYMENTS_LAMBDA_GROUP = "/aws/lambda/payments-handler"
APP_GROUP = "app/orders-service"

USER_AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "okhttp/4.12.0",
    "python-requests/2.32.3",
    "curl/8.5.0",
]
REST_ROUTES = [  # (method, path template, weight)
    ("GET", "/orders", 30),
    ("GET", "/orders/{id}", 25),
    ("POST", "/orders", 12),
    ("PUT", "/orders/{id}", 5),
    ("DELETE", "/orders/{id}", 2),
    ("GET", "/health", 10),
]
HTTP_ROUTES = [
    ("POST", "/payments", 20),
    ("GET", "/payments/{id}", 15),
    ("POST", "/refunds", 3),
]
STATUSES = [("200", 86), ("400", 5), ("403", 2), ("404", 4), ("429", 1), ("500", 1), ("502", 1)]


@dataclass
class LogGroupData:
    name: str
    streams: dict[str, list[Event]] = field(default_factory=dict)

    def add(self, stream: str, timestamp: int, message: str) -> None:
        self.streams.setdefault(stream, []).append((timestamp, message))

    @property
    def count(self) -> int:
        return sum(len(events) for events in self.streams.values())


def _pick(rng: random.Random, weighted: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return rng.choices(weighted, weights=[w[-1] for w in weighted])[0]


def _times(rng: random.Random, count: int, start: int, end: int) -> list[int]:
    """`count` request times between start and end, busier during the (UTC) day than at night."""
    times: list[int] = []
    while len(times) < count:
        t = rng.randrange(start, end)
        hour = (t // HOUR) % 24
        if rng.random() < (1.0 if 7 <= hour <= 21 else 0.35):
            times.append(t)
    return sorted(times)


def access_log(rng: random.Random, timestamp: int, api_id: str, rest: bool) -> str:
    method, template, _ = _pick(rng, REST_ROUTES if rest else HTTP_ROUTES)
    path = template.replace("{id}", str(rng.randint(10_000, 99_999)))
    status = _pick(rng, STATUSES)[0]
    if method == "POST" and status == "200":
        status = "201"
    entry = {
        "accountId": ACCOUNT,
        "apiId": api_id,
        "domainName": f"{api_id}.execute-api.us-east-1.amazonaws.com",
        "extendedRequestId": f"{rng.getrandbits(64):016x}"[:16] + "=",
        "requestId": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "httpMethod": method,
        "ip": f"{rng.choice(['192.0.2', '198.51.100', '203.0.113'])}.{rng.randint(1, 254)}",  # documentation ranges
        "clientCertPem": "-",
        "clientsubjectDN": "-",
        "clientissuerDN": "-",
        "clientserialNumber": "-",
        "clientnotBefore": "-",
        "clientnotAfter": "-",
        "user": "-",
        "userAgent": rng.choice(USER_AGENTS),
        "userArn": "-",
        "apiKeyId": f"k{rng.randint(1, 4)}abcdefgh" if rng.random() < 0.6 else "-",
        "protocol": "HTTP/1.1",
        "requestTimeEpoch": str(timestamp),
        "path": path,
        "status": status,
        "responseLength": str(rng.randint(0, 200) if status.startswith(("4", "5")) else rng.randint(120, 4800)),
        "stage": "prod",
    }
    if not rest:  # the HTTP API format has no requestId or apiKeyId
        del entry["requestId"], entry["apiKeyId"]
    return json.dumps(entry, separators=(",", ":"))


def lambda_invocation(rng: random.Random, group: LogGroupData, stream: str, start: int) -> None:
    request = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    duration = round(rng.lognormvariate(3.3, 0.6), 2)
    memory = rng.randint(78, 112)
    cold = rng.random() < 0.05
    group.add(stream, start, f"START RequestId: {request} Version: $LATEST\n")
    order = rng.randint(100_000, 999_999)
    group.add(stream, start + 2, f"{_iso(start + 2)}\t{request}\tINFO\tprocessing order {order}\n")
    if rng.random() < 0.03:
        group.add(stream, start + 3, f"{_iso(start + 3)}\t{request}\tERROR\tInventory lookup timed out for {order}\n")
    end = start + int(duration) + 3
    group.add(stream, end, f"END RequestId: {request}\n")
    report = (
        f"REPORT RequestId: {request}\tDuration: {duration:.2f} ms\tBilled Duration: {int(duration) + 1} ms\t"
        f"Memory Size: 256 MB\tMax Memory Used: {memory} MB"
    )
    if cold:
        report += f"\tInit Duration: {rng.uniform(180, 420):.2f} ms"
    group.add(stream, end + 1, report + "\t\n")


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def generate(now_ms: int, days: int = 3, settle_ms: int = 10 * MINUTE, seed: int = 2026) -> list[LogGroupData]:
    """About 5,200 events over the last `days` days, ending `settle_ms` before now."""
    rng = random.Random(seed)
    start, end = now_ms - days * DAY, now_ms - settle_ms

    rest = LogGroupData(REST_GROUP)
    for t in _times(rng, 1600, start, end):
        rest.add("a1b2c3d4e5-prod", t, access_log(rng, t, "a1b2c3d4e5", rest=True))

    http = LogGroupData(HTTP_GROUP)
    for t in _times(rng, 900, start, end):
        http.add("$default", t, access_log(rng, t, "f6g7h8i9j0", rest=False))

    lam = LogGroupData(LAMBDA_GROUP)
    instances: dict[tuple[str, int], str] = {}  # (date, slot) -> log stream of one execution environment
    for t in _times(rng, 350, start, end):
        key = (_iso(t)[:10].replace("-", "/"), rng.randrange(3))
        stream = instances.setdefault(key, f"{key[0]}/[$LATEST]{rng.getrandbits(128):032x}")
        lambda_invocation(rng, lam, stream, t)

    payments = LogGroupData(PAYMENTS_LAMBDA_GROUP)
    payment_instances: dict[tuple[str, int], str] = {}
    for t in _times(rng, 200, start, end):
        key = (_iso(t)[:10].replace("-", "/"), rng.randrange(2))
        stream = payment_instances.setdefault(key, f"{key[0]}/[$LATEST]{rng.getrandbits(128):032x}")
        lambda_invocation(rng, payments, stream, t)

    app = LogGroupData(APP_GROUP)
    for t in _times(rng, 500, start, end):
        level = rng.choices(["INFO", "WARN", "ERROR"], weights=[85, 11, 4])[0]
        text = {
            "INFO": f"order {rng.randint(100_000, 999_999)} shipped carrier={rng.choice(['ups', 'dhl', 'fedex'])}",
            "WARN": f"payment retry attempt={rng.randint(1, 3)} provider=stripe",
            "ERROR": "inventory service unavailable: connection reset by peer",
        }[level]
        app.add(f"orders-service-{rng.randint(1, 3)}", t, f"{_iso(t)} {level} [orders-service] {text}")
    return [rest, http, lam, payments, app]


def put(client: Any, groups: Iterable[LogGroupData]) -> int:
    """Creates the groups and streams and puts every event; returns how many."""
    total = 0
    for group in groups:
        for stream, events in group.streams.items():
            put_events(client, group.name, stream, events)
            total += len(events)
    return total
