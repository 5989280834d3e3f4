"""Pacing to the API quota: a rate limiter shared by every thread, hooked into botocore's per-attempt events,
request statistics, and a faster parse of FilterLogEvents pages."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson


class RateLimiter:
    """Evenly spaced permits, `rate` per second, shared by every thread (a leaky bucket with a burst of one).

    Spacing requests evenly keeps the connector under a server-side token bucket of the same rate whatever
    its burst size, so pacing replaces throttling instead of provoking it.
    """

    def __init__(
        self, rate: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Blocks until this caller's slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait


@dataclass
class ApiStats:
    """Requests sent (retries included), throttled answers and other failed attempts, per operation."""

    calls: Counter[str] = field(default_factory=Counter)
    throttles: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, counter: Counter[str], operation: str) -> None:
        with self._lock:
            counter[operation] += 1

    def total(self, counter: Counter[str]) -> int:
        return sum(counter.values())


THROTTLING_CODES = {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
PACED_OPERATIONS = ("FilterLogEvents", "DescribeLogGroups")


def pace(client: Any, limiters: Mapping[str, RateLimiter], stats: ApiStats) -> None:
    """Hooks the limiters into botocore's per-attempt events, so retries are paced and counted too."""

    def before_sign(event_name: str, **_: Any) -> None:
        # Before signing, not before sending: a request that waited for its slot is signed with credentials
        # that are fresh when it leaves.
        limiter = limiters.get(event_name.rsplit(".", 1)[-1])
        if limiter is not None:
            limiter.acquire()

    def before_send(event_name: str, **_: Any) -> None:
        stats.count(stats.calls, event_name.rsplit(".", 1)[-1])

    def response_received(event_name: str, parsed_response: Any = None, exception: Any = None, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        code = (parsed_response or {}).get("Error", {}).get("Code") if isinstance(parsed_response, dict) else None
        if code in THROTTLING_CODES:
            stats.count(stats.throttles, operation)
        elif code or exception is not None:
            stats.count(stats.errors, operation)

    events = client.meta.events
    events.register("before-sign.cloudwatch-logs", before_sign)
    events.register("before-send.cloudwatch-logs", before_send)
    events.register("response-received.cloudwatch-logs", response_received)


def parse_events_fast(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    """Parses a successful FilterLogEvents body with one C-level JSON decode instead of botocore's shape walk.

    botocore's parser visits every field of every event in Python: about 5 µs an event, which alone capped
    plain boto3 paging at ~70k events/s in the benchmark. The JSON protocol's wire names are the member names
    for this operation, so the decoded body is exactly what botocore would return (unit_tests/test_pacing.py
    compares the two); botocore then parses only the emptied body. Errors keep botocore's own parsing.
    """
    if response_dict.get("status_code") != 200:
        return
    customized_response_dict.update(orjson.loads(response_dict["body"]))
    response_dict["body"] = b"{}"
