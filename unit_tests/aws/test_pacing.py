"""The client-side rate limiter, its hook into botocore, the retry configuration and the fast page parser."""

from __future__ import annotations

import threading
import time
from typing import Any

import botocore.session
from botocore.parsers import create_parser

from source_cloudwatch_logs.aws.pacing import (
    DECREASE,
    DECREASE_HOLD_S,
    INCREASE_PER_S,
    MIN_SHARE,
    ApiStats,
    InFlight,
    RateLimiter,
    parse_events_fast,
    workers_for,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.now += seconds


def test_permits_are_evenly_spaced_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(5, clock=clock, sleep=clock.sleep)
    waits = [round(limiter.acquire(), 6) for _ in range(4)]
    # Every call here comes right after the previous one returned: each waits one interval (the first none).
    assert waits == [0.0, 0.2, 0.2, 0.2]
    clock.now += 10  # idle time does not bank a burst
    assert [round(limiter.acquire(), 6) for _ in range(2)] == [0.0, 0.2]


def test_threads_share_one_schedule() -> None:
    clock = FakeClock()
    lock = threading.Lock()
    limiter = RateLimiter(10, clock=clock, sleep=lambda s: None)  # nobody sleeps: slots are handed out
    slots: list[float] = []

    def take() -> None:
        wait = limiter.acquire()
        with lock:
            slots.append(round(clock.now + wait, 6))

    threads = [threading.Thread(target=take) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(slots) == [round(100.0 + i * 0.1, 6) for i in range(20)]


def test_throttles_cut_the_rate_once_per_hold_and_quiet_seconds_give_it_back() -> None:
    clock = FakeClock()
    limiter = RateLimiter(20, clock=clock, sleep=clock.sleep)
    limiter.throttled()
    assert limiter.rate == 20 * DECREASE
    limiter.throttled()  # the requests in flight with the first come back throttled too: one cut for all
    clock.now += DECREASE_HOLD_S / 2
    limiter.throttled()
    assert limiter.rate == 20 * DECREASE
    clock.now += DECREASE_HOLD_S / 2
    limiter.throttled()  # a second after the first cut: the rate climbed for that second, then is cut again
    cut_twice = (20 * DECREASE + 20 * INCREASE_PER_S * DECREASE_HOLD_S) * DECREASE
    assert abs(limiter.rate - cut_twice) < 1e-9
    # Permits follow the lowered rate at once.
    assert [round(limiter.acquire(), 6) for _ in range(2)] == [0.0, round(1 / cut_twice, 6)]
    # Then it climbs back by INCREASE_PER_S of the budget per second, never past the budget.
    before = limiter.rate
    clock.now += 2.0
    limiter.acquire()
    assert abs(limiter.rate - (before + 20 * INCREASE_PER_S * (2.0 + 1 / cut_twice))) < 1e-6
    clock.now += 1000
    limiter.acquire()
    assert limiter.rate == 20
    # Throttled every second without end, it settles where each cut undoes a second's climb, above its floor.
    for _ in range(100):
        clock.now += DECREASE_HOLD_S
        limiter.throttled()
    settled = 20 * INCREASE_PER_S * DECREASE_HOLD_S * DECREASE / (1 - DECREASE)
    assert abs(limiter.rate - settled) < 1e-6 and settled >= 20 * MIN_SHARE
    assert limiter.waited_s > 0


def test_the_fast_parser_returns_what_botocore_returns() -> None:
    body = (
        b'{"events":[{"logStreamName":"s\\u00e9","timestamp":1795000000042,"message":"{\\"a\\":1}\\n\\u65e5",'
        b'"ingestionTime":1795000000100,"eventId":"37812345678901234567890123456789012345678901234567890123"}],'
        b'"searchedLogStreams":[],"nextToken":"tok/+="}'
    )
    operation = botocore.session.get_session().get_service_model("logs").operation_model("FilterLogEvents")
    expected = create_parser("json").parse({"body": body, "headers": {}, "status_code": 200}, operation.output_shape)

    response = {"body": body, "headers": {}, "status_code": 200}
    customized: dict[str, Any] = {}
    parse_events_fast(response_dict=response, customized_response_dict=customized)
    parsed = create_parser("json").parse(response, operation.output_shape)
    parsed.update(customized)

    assert parsed == expected
    assert parsed["events"][0]["message"] == '{"a":1}\n日'


def test_the_fast_parser_leaves_errors_to_botocore() -> None:
    response = {"body": b'{"__type":"ThrottlingException"}', "headers": {}, "status_code": 400}
    customized: dict[str, Any] = {}
    parse_events_fast(response_dict=response, customized_response_dict=customized)
    assert customized == {} and response["body"] == b'{"__type":"ThrottlingException"}'


def test_threads_follow_the_budget_up_to_num_workers() -> None:
    assert [workers_for(rate, 32) for rate in (25, 10, 5)] == [27, 12, 7]
    assert workers_for(25, 10) == 10  # a config that still says 10 keeps it as its bound
    assert workers_for(0.5, 32) == 3


def test_pages_in_the_works_follow_the_rate_times_the_observed_latency() -> None:
    stats, limiter = ApiStats(), RateLimiter(25)
    gate = InFlight(limiter=limiter, stats=stats, operation="FilterLogEvents", upper=27)
    assert gate.limit() == 4  # no latency observed yet: a few requests find it out
    stats.count(stats.calls, "FilterLogEvents")
    stats.answered("FilterLogEvents", 0.3)
    assert gate.limit() == 13  # 25/s x 0.3 s x 1.5, plus one
    stats.answered("FilterLogEvents", 1.0)  # mean 1.3 s: bounded by the threads
    assert gate.limit() == 27
    limiter.rate = 1.0
    assert gate.limit() == 3
    limiter.rate = 0.1
    assert gate.limit() == 2  # never below two


def test_the_gate_holds_callers_beyond_the_limit() -> None:
    gate = InFlight(limiter=None, stats=ApiStats(), operation="FilterLogEvents", upper=2, poll_s=0.01)
    inside, most = 0, 0
    lock = threading.Lock()

    def work() -> None:
        nonlocal inside, most
        with gate.slot():
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.02)
            with lock:
                inside -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 2


def test_the_gate_serves_callers_in_the_order_they_asked() -> None:
    """The windows in the works take turns: a caller that asks again after its page waits behind those already
    waiting, so no window runs ahead of the others (and none is left to run alone at the end)."""
    gate = InFlight(limiter=None, stats=ApiStats(), operation="FilterLogEvents", upper=2, poll_s=0.01)
    served: list[int] = []
    lock = threading.Lock()

    def work(caller: int) -> None:
        with gate.slot(), lock:
            served.append(caller)

    held = [gate.slot(), gate.slot()]
    for slot in held:
        slot.__enter__()
    threads = []
    for caller in range(6):
        threads.append(threading.Thread(target=work, args=(caller,)))
        threads[-1].start()
        while len(gate._waiting) < 1 + caller:  # it waits in line: the next caller asks after it
            time.sleep(0.001)
    for slot in held:
        slot.__exit__(None, None, None)
    for thread in threads:
        thread.join()
    assert served == [0, 1, 2, 3, 4, 5]


def test_a_caller_that_leaves_the_line_with_an_error_lets_the_next_ones_through() -> None:
    class Leaving(InFlight):
        def limit(self) -> int:
            if threading.current_thread().name == "leaves":
                raise RuntimeError("stopped while waiting")
            return super().limit()

    gate = Leaving(limiter=None, stats=ApiStats(), operation="FilterLogEvents", upper=1, poll_s=0.01)
    errors: list[str] = []
    served: list[str] = []

    def work() -> None:
        try:
            with gate.slot():
                served.append(threading.current_thread().name)
        except RuntimeError as error:
            errors.append(str(error))

    threads = [threading.Thread(target=work, name=name, daemon=True) for name in ("leaves", "first", "second")]
    for thread in threads:
        thread.start()
        thread.join(timeout=5)
    assert (errors, served, len(gate._waiting)) == (["stopped while waiting"], ["first", "second"], 0)
