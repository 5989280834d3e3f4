"""The self-tuning lookback's arithmetic: the lag kept in state and the re-read it asks for."""

from __future__ import annotations

from source_cloudwatch_logs.lookback import (
    LAG_HALF_LIFE_MS,
    beyond_cap,
    decayed_lag_ms,
    learned_lag_ms,
    lookback_ms,
)

MINUTE = 60_000


def test_the_learned_lag_grows_at_once_and_halves_every_half_life() -> None:
    assert learned_lag_ms(10 * MINUTE, 0, 30 * MINUTE) == 30 * MINUTE
    assert learned_lag_ms(40 * MINUTE, LAG_HALF_LIFE_MS, 0) == 20 * MINUTE
    assert learned_lag_ms(40 * MINUTE, 2 * LAG_HALF_LIFE_MS, 0) == 10 * MINUTE
    assert learned_lag_ms(40 * MINUTE, LAG_HALF_LIFE_MS, 25 * MINUTE) == 25 * MINUTE
    assert decayed_lag_ms(40 * MINUTE, 0) == 40 * MINUTE
    assert decayed_lag_ms(0, LAG_HALF_LIFE_MS) == 0


def test_the_lookback_covers_the_lag_with_headroom_less_the_delay_between_floor_and_cap() -> None:
    delay = 5 * MINUTE
    assert lookback_ms(lag_ms=20 * MINUTE, delay_ms=delay, floor_ms=0, cap_ms=60 * MINUTE) == 20 * MINUTE
    assert lookback_ms(lag_ms=MINUTE, delay_ms=delay, floor_ms=0, cap_ms=60 * MINUTE) == 0
    assert lookback_ms(lag_ms=MINUTE, delay_ms=delay, floor_ms=2 * MINUTE, cap_ms=60 * MINUTE) == 2 * MINUTE
    assert lookback_ms(lag_ms=10 * 60 * MINUTE, delay_ms=delay, floor_ms=0, cap_ms=60 * MINUTE) == 60 * MINUTE
    assert lookback_ms(lag_ms=10 * 60 * MINUTE, delay_ms=delay, floor_ms=90 * MINUTE, cap_ms=60 * MINUTE) == 90 * MINUTE


def test_only_lags_beyond_cap_plus_delay_can_be_missed() -> None:
    assert not beyond_cap(65 * MINUTE, delay_ms=5 * MINUTE, cap_ms=60 * MINUTE)
    assert beyond_cap(65 * MINUTE + 1, delay_ms=5 * MINUTE, cap_ms=60 * MINUTE)
