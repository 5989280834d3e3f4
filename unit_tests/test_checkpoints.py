"""The pace of a merged stream's checkpoints (checkpoints.py), on a clock the test moves."""

from __future__ import annotations

from source_cloudwatch_logs.checkpoints import CHECKPOINT_INTERVAL_S, CHECKPOINT_STATE_BYTES_PER_S, CheckpointPace


class Clock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def test_the_first_checkpoint_is_due_at_once_then_one_per_interval() -> None:
    clock = Clock()
    pace = CheckpointPace(clock=clock)
    assert pace.due()
    pace.done(100)
    clock.now_s += CHECKPOINT_INTERVAL_S - 0.001
    assert not pace.due()
    clock.now_s += 0.001
    assert pace.due()


def test_a_large_state_spaces_its_checkpoints_to_the_byte_rate() -> None:
    clock = Clock()
    pace = CheckpointPace(clock=clock)
    size = 20 * CHECKPOINT_STATE_BYTES_PER_S  # 20 s worth of state bytes
    pace.done(size)
    clock.now_s += 19.999
    assert not pace.due()
    clock.now_s += 0.001
    assert pace.due()
    assert CHECKPOINT_INTERVAL_S < 20
