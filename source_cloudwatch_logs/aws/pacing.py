"""Pacing to the API quota: a rate limiter shared by every thread, hooked into botocore's per-attempt events,
request statistics, and a faster parse of FilterLogEvents pages."""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import orjson

# How the rate adapts to throttling (additive increase, multiplicative decrease, as TCP shares a link): a throttle
# cuts the rate to DECREASE of itself, at most once per DECREASE_HOLD_S (the requests already in flight when the
# first throttle came back would otherwise cut it again and again); every second without one gives back
# INCREASE_PER_S of the budget, up to the budget. The rate never drops below MIN_SHARE of the budget.
DECREASE = 0.75
DECREASE_HOLD_S = 1.0
INCREASE_PER_S = 0.03
MIN_SHARE = 0.05


# Requests in flight are the rate times the latency (Little's law): with pacing, a sync keeps that many threads
# busy as long as it has them. Full 1 MB pages take 200 to 800 ms to arrive; threads are sized for
# LATENCY_ALLOWANCE_S at the budget, plus two (partition generation, and the hand-over to the main thread).
LATENCY_ALLOWANCE_S = 1.0


def workers_for(budget: float, upper: int) -> int:
    """Threads for a sync whose FilterLogEvents budget is `budget` per second; `num_workers` is the upper bound."""
    return min(upper, math.ceil(budget * LATENCY_ALLOWANCE_S) + 2)


# Pages in the works (requested, parsed or being serialised) at once: the current rate times the latency observed
# so far, with IN_FLIGHT_HEADROOM, plus one; at least MIN_IN_FLIGHT, at most the threads. Each holds up to a 1 MB
# page and its parsed events, so this, not the thread count, bounds the memory a sync needs.
IN_FLIGHT_HEADROOM = 1.5
MIN_IN_FLIGHT = 2
FIRST_IN_FLIGHT = 4  # before any latency is known


class InFlight:
    """A gate that lets as many pages be in the works as the rate and the observed latency need (Little's law)."""

    def __init__(
        self, *, limiter: RateLimiter | None, stats: ApiStats, operation: str, upper: int, poll_s: float = 0.05
    ) -> None:
        self._limiter = limiter
        self._stats = stats
        self._operation = operation
        self._upper = upper
        self._poll_s = poll_s
        self._busy = 0
        self._waiting: deque[object] = deque()  # the callers waiting for a slot, in the order they asked
        self._condition = threading.Condition()

    def limit(self) -> int:
        if self._limiter is None:
            return self._upper
        latency = self._stats.latency_s(self._operation)
        needed = math.ceil(self._limiter.rate * latency * IN_FLIGHT_HEADROOM) + 1 if latency else FIRST_IN_FLIGHT
        return max(MIN_IN_FLIGHT, min(self._upper, needed))

    @contextmanager
    def slot(self) -> Iterator[None]:
        """A page's slot, given in the order callers asked: the windows in the works take turns, so they progress
        at one pace and a big group's windows end together, instead of a few left to run alone at the end."""
        with self._condition:
            turn = object()
            self._waiting.append(turn)
            try:
                while self._waiting[0] is not turn or self._busy >= self.limit():
                    self._condition.wait(self._poll_s)  # the limit moves with the latency: look again now and then
            finally:  # served, or gone with an exception: the next in line is first now, and may fit too
                self._waiting.remove(turn)
                self._condition.notify_all()
            self._busy += 1
        try:
            yield
        finally:
            with self._condition:
                self._busy -= 1
                self._condition.notify_all()


class RateLimiter:
    """Evenly spaced permits shared by every thread, at a rate that starts at `budget` per second and adapts to
    throttling: the quota is per account and region, and other clients use it too.

    Spacing requests evenly keeps the connector under a server-side token bucket of the same rate whatever its
    burst size, so pacing replaces throttling instead of provoking it; when another client takes part of the
    quota, throttles lower the rate to what is left, and it climbs back when they stop.
    """

    def __init__(
        self, budget: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.budget = budget
        self.rate = budget
        self.waited_s = 0.0  # time callers spent waiting for their slot, in all
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._last_change = clock()
        self._last_decrease = -DECREASE_HOLD_S
        self._lock = threading.Lock()

    @property
    def interval(self) -> float:
        return 1.0 / self.rate

    def acquire(self) -> float:
        """Blocks until this caller's slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._recover(now)
            slot = max(now, self._next)
            self._next = slot + 1.0 / self.rate
            wait = slot - now
            self.waited_s += wait
        if wait > 0:
            self._sleep(wait)
        return wait

    def throttled(self) -> None:
        """A request was throttled: slow down, unless that was done just now."""
        with self._lock:
            now = self._clock()
            if now - self._last_decrease < DECREASE_HOLD_S:
                return
            self._recover(now)
            self.rate = max(self.budget * MIN_SHARE, self.rate * DECREASE)
            self._last_decrease = self._last_change = now

    def _recover(self, now: float) -> None:
        if self.rate < self.budget:
            self.rate = min(self.budget, self.rate + self.budget * INCREASE_PER_S * (now - self._last_change))
        self._last_change = now


@dataclass
class ApiStats:
    """Requests sent (retries included), throttled answers and other failed attempts, per operation."""

    calls: Counter[str] = field(default_factory=Counter)
    throttles: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    answered_s: dict[str, float] = field(default_factory=dict)  # seconds from leaving (paced) to answered, summed
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, counter: Counter[str], operation: str) -> None:
        with self._lock:
            counter[operation] += 1

    def total(self, counter: Counter[str]) -> int:
        return sum(counter.values())

    def answered(self, operation: str, seconds: float) -> None:
        with self._lock:
            self.answered_s[operation] = self.answered_s.get(operation, 0.0) + seconds

    def latency_s(self, operation: str) -> float:
        """Mean seconds per attempt of `operation`, so far."""
        with self._lock:
            return self.answered_s.get(operation, 0.0) / self.calls[operation] if self.calls[operation] else 0.0


SENT_AT = "source_cloudwatch_logs.sent_at"  # request context key: when the attempt left, after its pacing
THROTTLING_CODES = {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}


def pace(client: Any, limiters: Mapping[str, RateLimiter], stats: ApiStats) -> None:
    """Hooks the limiters into botocore's per-attempt events, so retries are paced and counted too."""

    def before_sign(event_name: str, request: Any = None, **_: Any) -> None:
        # Before signing, not before sending: a request that waited for its slot is signed with credentials
        # that are fresh when it leaves.
        limiter = limiters.get(event_name.rsplit(".", 1)[-1])
        if limiter is not None:
            limiter.acquire()
        if request is not None:
            request.context[SENT_AT] = time.monotonic()

    def before_send(event_name: str, **_: Any) -> None:
        stats.count(stats.calls, event_name.rsplit(".", 1)[-1])

    def response_received(
        event_name: str, parsed_response: Any = None, exception: Any = None, context: Any = None, **_: Any
    ) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        sent_at = (context or {}).get(SENT_AT)
        if sent_at is not None:
            stats.answered(operation, time.monotonic() - sent_at)
        code = (parsed_response or {}).get("Error", {}).get("Code") if isinstance(parsed_response, dict) else None
        if code in THROTTLING_CODES:
            stats.count(stats.throttles, operation)
            limiter = limiters.get(operation)
            if limiter is not None:
                limiter.throttled()
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
