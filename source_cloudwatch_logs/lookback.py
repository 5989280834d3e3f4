"""The self-tuning lookback: how far behind its watermark a stream's next sync re-reads, from the ingestion lag
(`ingestionTime - timestamp`) the stream has shown.

An event whose lag exceeds `ingestion_delay_seconds` can become visible after the sync that read past its
timestamp; the next sync finds it if it re-reads at least `lag - delay` behind the watermark. Each sync measures
the largest lag among the events it reads and keeps it in the stream's state (`ingestion_lag_ms`): it grows at
once when a larger lag is seen, and halves every LAG_HALF_LIFE_MS of watermark progress when lags fall, so a
lag that comes back daily is still covered the next day. The re-read has LAG_HEADROOM over the largest lag
seen, is at least `lookback_window_seconds` (the floor) and at most `max_lookback_seconds` (the cap), unless the
floor is larger.
"""

from __future__ import annotations

import math

HOUR_MS = 3600 * 1000
LAG_HALF_LIFE_MS = 24 * HOUR_MS
LAG_HEADROOM = 1.25


def decayed_lag_ms(lag_ms: int, progress_ms: int) -> int:
    """The learned lag after the watermark moved `progress_ms` without a larger lag being seen."""
    if lag_ms <= 0 or progress_ms <= 0:
        return max(0, lag_ms)
    return int(lag_ms * 0.5 ** (progress_ms / LAG_HALF_LIFE_MS))


def learned_lag_ms(previous_ms: int, progress_ms: int, observed_ms: int) -> int:
    """The lag to keep in state: the largest lag just observed, or the previous one, decayed, if larger."""
    return max(observed_ms, decayed_lag_ms(previous_ms, progress_ms))


def lookback_ms(*, lag_ms: int, delay_ms: int, floor_ms: int, cap_ms: int) -> int:
    """How far behind the watermark to re-read for a stream with this learned lag."""
    needed = math.ceil(lag_ms * LAG_HEADROOM) - delay_ms
    return max(floor_ms, min(cap_ms, needed))


def beyond_cap(lag_ms: int, *, delay_ms: int, cap_ms: int) -> bool:
    """Whether an event this late can be missed in a busy stretch however the lookback tunes itself."""
    return lag_ms > cap_ms + delay_ms
