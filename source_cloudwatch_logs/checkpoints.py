"""How often a merged stream checkpoints: a STATE message at most every `CHECKPOINT_INTERVAL_S` seconds, and
further apart as its state grows, so that on average it writes at most `CHECKPOINT_STATE_BYTES_PER_S` bytes of state
a second. A sync's state bytes then grow with its length (itself linear in the number of groups, each needing its
own calls), not with the number of groups times the number of windows. The stream's last state is always emitted
when it ends (merged.py); a crash re-reads at most what was read since the last checkpoint, as before.

Proved by unit_tests/test_checkpoints.py (the pace on a clock given) and unit_tests/test_merged.py (a merged
stream's STATE messages, exactly, with the final one).
"""

from __future__ import annotations

import time
from collections.abc import Callable

CHECKPOINT_INTERVAL_S = 5.0  # the shortest time between two STATE messages of a merged stream
CHECKPOINT_STATE_BYTES_PER_S = 4_000  # and, on average, no more state bytes a second than this


class CheckpointPace:
    """Says whether a checkpoint is due now: the first always is; a later one once `interval_s` has passed since
    the last one, and at least the last state's size divided by `bytes_per_s`."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        interval_s: float = CHECKPOINT_INTERVAL_S,
        bytes_per_s: float = CHECKPOINT_STATE_BYTES_PER_S,
    ) -> None:
        self._clock = clock
        self._interval_s = interval_s
        self._bytes_per_s = bytes_per_s
        self._last_s: float | None = None
        self._last_bytes = 0

    def due(self) -> bool:
        if self._last_s is None:
            return True
        return self._clock() - self._last_s >= max(self._interval_s, self._last_bytes / self._bytes_per_s)

    def done(self, size_bytes: int) -> None:
        """A checkpoint of `size_bytes` was just emitted."""
        self._last_s = self._clock()
        self._last_bytes = size_bytes
