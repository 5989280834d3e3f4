"""Which stream waits for a quota, told to an observer: `on_wait(stream, waiting, resume_at_ms)`.

A stream's waiting stretch begins with the first wait of one of its calls since the last call of it that was
answered: a wait for its paced slot (pacing.RateLimiter), botocore's backoff before retrying a throttled call
(client.py) or, for Logs Insights, a wait for the concurrent-query limit (insights.py). Once the stretch, counted
to the end of the wait about to begin, is longer than RATE_LIMITED_AFTER_S, the observer hears
`(stream, True, resume_at_ms)` (epoch ms at which that wait ends), once per stretch; when a call of the stream is
then answered, it hears `(stream, False, None)` and the stretch ends. A stretch that ends in a failure says nothing
more: the stream's error does. Waits are told from the thread that waits, before it sleeps.

Calls are attributed to a stream by the thread that makes them: the reading code wraps each call in
`Waits.calling(stream)`; a call outside one (discovery, check) is nobody's and is not told. This module knows
nothing of Airbyte; the Airbyte side turns the calls into stream statuses (statuses.py). Tests:
unit_tests/aws/test_waits.py; through the entry point, integration_tests/test_faults.py (RATE_LIMITED, then RUNNING).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

RATE_LIMITED_AFTER_S = 5.0  # a stream waiting longer than this says so


class WaitObserver(Protocol):
    def __call__(self, stream: str, waiting: bool, resume_at_ms: int | None) -> None: ...


def _nobody(stream: str, waiting: bool, resume_at_ms: int | None) -> None:
    """Hears nothing: for clients with no one to tell (check, discover)."""


@dataclass
class _Stretch:
    started_s: float  # monotonic
    told: bool = False


class Waits:
    """The waiting stretches of a sync's streams, shared by every thread of one client."""

    def __init__(
        self,
        *,
        on_wait: WaitObserver = _nobody,
        after_s: float = RATE_LIMITED_AFTER_S,
        clock: Callable[[], float] = time.monotonic,
        wall_ms: Callable[[], int] = lambda: time.time_ns() // 1_000_000,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._on_wait = on_wait
        self._after_s = after_s
        self._clock = clock
        self._wall_ms = wall_ms
        self._sleep = sleep
        self._stretches: dict[str, _Stretch] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def calling(self, stream: str) -> Iterator[None]:
        """The calls this thread makes inside are `stream`'s."""
        outer = getattr(self._local, "stream", None)
        self._local.stream = stream
        try:
            yield
        finally:
            self._local.stream = outer

    def waiting(self, seconds: float) -> None:
        """This thread's call is about to wait `seconds` for a quota."""
        stream = getattr(self._local, "stream", None)
        if stream is None or seconds <= 0:
            return
        now = self._clock()
        with self._lock:
            stretch = self._stretches.setdefault(stream, _Stretch(started_s=now))
            tell = not stretch.told and now + seconds - stretch.started_s > self._after_s
            stretch.told = stretch.told or tell
        if tell:
            self._on_wait(stream, True, self._wall_ms() + round(seconds * 1000))

    def sleep(self, seconds: float) -> None:
        """`waiting`, then the wait itself (a rate limiter's sleep)."""
        self.waiting(seconds)
        self._sleep(seconds)

    def answered(self) -> None:
        """This thread's call was answered (not throttled, not refused for a limit): its stream proceeds."""
        stream = getattr(self._local, "stream", None)
        if stream is None:
            return
        with self._lock:
            stretch = self._stretches.pop(stream, None)
        if stretch is not None and stretch.told:
            self._on_wait(stream, False, None)
