"""A merged stream's windows and state: each log group's own cursor, one state for the stream, property-tested
over random finishing orders as the single-group cursor is (test_cursor.py)."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from airbyte_cdk.models import FailureType, Type
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.aws.log_events import EventQuery
from source_cloudwatch_logs.checkpoints import CHECKPOINT_INTERVAL_S, CheckpointPace
from source_cloudwatch_logs.cursor import END_KEY, START_KEY
from source_cloudwatch_logs.discovery import MergedDefinition, StreamDefinition
from source_cloudwatch_logs.merged import GROUP_KEY, build_merged_stream
from source_cloudwatch_logs.merged_state import COMPACT_GROUPS_KEY, long_form
from source_cloudwatch_logs.ranges import TARGET_WINDOW_BYTES
from source_cloudwatch_logs.state import StreamPosition, usable_group_positions
from unit_tests.conftest import NOW, group, sync_plan

DAY_MS = 86_400_000
END = NOW - 60_000


def _merged(
    positions: dict[str, StreamPosition | None], stored: dict[str, int], pace: CheckpointPace | None = None
) -> tuple[Any, InMemoryMessageRepository]:
    plan = sync_plan(now_ms=NOW, end_ms=END)
    members = tuple(
        StreamDefinition(
            name="merged",
            group=group(name, creation_ms=NOW - 20 * DAY_MS, stored_bytes=size),
            request=EventQuery(log_group=name),
        )
        for name, size in stored.items()
    )
    definition = MergedDefinition(name="merged", setting="custom_log_reports[0]", members=members)
    stream = build_merged_stream(definition=definition, positions=positions, plan=plan, pace=pace)
    assert isinstance(plan.repository, InMemoryMessageRepository)
    return stream, plan.repository


def _every_time() -> CheckpointPace:
    """A pace at which every change is checkpointed (the contract's property: each state is exact)."""
    return CheckpointPace(interval_s=0, bytes_per_s=math.inf)


def _positions(state: dict[str, Any]) -> dict[str, StreamPosition | None]:
    """The group positions a state resumes from, as the next sync reads it."""
    groups = state.get(COMPACT_GROUPS_KEY, {})
    positions, problems = usable_group_positions(long_form(state), groups, NOW)
    assert problems == []
    return positions


def _states(repository: InMemoryMessageRepository) -> list[dict[str, Any]]:
    return [
        m.state.stream.stream_state.__dict__  # type: ignore[union-attr]
        for m in repository.consume_queue()
        if m.type == Type.STATE
    ]


def _watermark(position: StreamPosition | None) -> int:
    assert position is not None
    return position.watermark_ms


def test_windows_of_every_group_take_turns_and_carry_their_group() -> None:
    start = NOW - 2 * DAY_MS
    stream, _ = _merged(
        {"a": StreamPosition(start), "b": StreamPosition(start)}, {"a": 50 * TARGET_WINDOW_BYTES, "b": 0}
    )
    partitions = list(stream.generate_partitions())
    groups = [p.to_slice().partition[GROUP_KEY] for p in partitions]
    assert groups[:3] == ["a", "b", "a"]  # b's one window comes second, not after all of a's
    assert groups.count("b") == 1 and groups.count("a") > 2
    assert all(p.stream_name() == "merged" for p in partitions)


def test_each_group_advances_on_its_own_in_any_finishing_order() -> None:
    rng = random.Random(20261130)
    for _ in range(30):
        starts = {name: NOW - rng.randint(1, 5) * DAY_MS for name in ("a", "b", "c")}
        stored = {name: rng.choice([0, 5, 60]) * TARGET_WINDOW_BYTES for name in starts}
        stream, repository = _merged({n: StreamPosition(s) for n, s in starts.items()}, stored, _every_time())
        partitions = list(stream.generate_partitions())
        by_group: dict[str, list[Any]] = {}
        for partition in partitions:
            by_group.setdefault(partition.to_slice().partition[GROUP_KEY], []).append(partition)
        order = list(partitions)
        rng.shuffle(order)
        done: set[int] = set()
        for partition in order:
            stream.cursor.close_partition(partition)
            done.add(id(partition))
            state = _states(repository)[-1]
            for name, windows in by_group.items():
                contiguous = 0
                while contiguous < len(windows) and id(windows[contiguous]) in done:
                    contiguous += 1
                expected = windows[contiguous - 1].to_slice()[END_KEY] if contiguous else starts[name]
                assert _watermark(_positions(state)[name]) == expected, name
            assert state["timestamp"] == min(_watermark(p) for p in _positions(state).values())
        assert {name: _watermark(p) for name, p in _positions(stream.cursor.state).items()} == dict.fromkeys(
            starts, END
        )
        final = stream.cursor.state  # every group at the stream's watermark: none carries its own
        assert final["timestamp"] == END and [entry for entry in final["groups"].values() if "t" in entry] == []
        assert all(p.to_slice()[START_KEY] < p.to_slice()[END_KEY] for p in partitions)


def test_a_merged_stream_without_groups_reads_nothing_and_says_so_in_its_state() -> None:
    stream, repository = _merged({}, {})
    assert list(stream.generate_partitions()) == []
    stream.cursor.ensure_at_least_one_state_emitted()
    assert _states(repository) == [{"groups": {}}]


def test_group_positions_of_a_state_new_groups_gone_groups_and_the_older_shape() -> None:
    at = NOW
    state = {"timestamp": NOW - DAY_MS, "log_groups": {"a": {"timestamp": NOW - DAY_MS}, "gone": {"timestamp": 1}}}
    positions, problems = usable_group_positions(state, ["a", "new"], at)
    assert positions == {"a": StreamPosition(NOW - DAY_MS), "new": None}
    assert problems == ["log group 'gone' no longer exists (or no longer matches): its position is dropped"]
    # A state of the report's single-group days: every group starts from it.
    positions, problems = usable_group_positions({"timestamp": NOW - DAY_MS}, ["a", "b"], at)
    assert positions == {"a": StreamPosition(NOW - DAY_MS), "b": StreamPosition(NOW - DAY_MS)} and problems == []
    positions, problems = usable_group_positions({"log_groups": {"a": {"timestamp": "x"}}}, ["a"], at)
    assert positions == {"a": None}
    assert problems == ["log group 'a': its `timestamp` is not a number; it starts from its beginning"]
    assert usable_group_positions(None, ["a"], at) == ({"a": None}, [])


def test_members_are_keyed_by_their_state_key_and_left_out_groups_keep_their_entries_then_fail_the_stream() -> None:
    """Issue 20 items 9 and 11: a linked member's windows and state entry carry `<account>:<name>`, never the
    bare name another member may have; a member left out keeps its entry as it was, and the stream fails after
    handing over every other window (the CDK then ends it INCOMPLETE and the sync exits non-zero)."""
    plan = sync_plan(now_ms=NOW, end_ms=END)
    start = NOW - 2 * DAY_MS
    members = tuple(
        StreamDefinition(
            name="merged",
            group=group("/app", creation_ms=NOW - 20 * DAY_MS),
            request=EventQuery(log_group="/app"),
            key=key,
        )
        for key in ("/app", "210987654321:/app")
    )
    problem = "`custom_log_reports[0]` ('merged'): log group(s) '/cold' cannot be read as the report asks."
    definition = MergedDefinition(
        name="merged", setting="custom_log_reports[0]", members=members, left_out=("/cold",), left_out_problem=problem
    )
    kept = {"/cold": StreamPosition(start - DAY_MS, newest_ms=start - DAY_MS - 5)}
    positions = {"/app": StreamPosition(start), "210987654321:/app": StreamPosition(start + 1)}
    stream = build_merged_stream(definition=definition, positions=positions, plan=plan, kept=kept)
    partitions: list[Any] = []
    with pytest.raises(AirbyteTracedException) as raised:
        for partition in stream.generate_partitions():
            partitions.append(partition)
    assert raised.value.message == f"Stream 'merged': {problem} Its other log groups were read."
    assert raised.value.failure_type == FailureType.config_error
    assert {p.to_slice().partition[GROUP_KEY] for p in partitions} == {"/app", "210987654321:/app"}
    for partition in partitions:
        stream.cursor.close_partition(partition)
    state = stream.cursor.state
    assert _positions(state)["/cold"] == kept["/cold"]
    assert {key: _watermark(position) for key, position in _positions(state).items()} == {
        "/app": END,
        "/cold": start - DAY_MS,
        "210987654321:/app": END,
    }
    assert state["timestamp"] == start - DAY_MS
    assert state["groups"]["/cold"] == {"n": 5}  # at the stream's watermark, its newest event 5 ms before


class _Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def test_states_are_checkpointed_at_the_pace_and_the_last_one_when_the_stream_ends() -> None:
    """Windows closing one a second: a STATE at the first, then one each 5 s (CHECKPOINT_INTERVAL_S), each
    exactly the stream's state at that point; when the stream ends, the last state at once, and only once."""
    clock = _Clock()
    start = NOW - 2 * DAY_MS
    stored = {"a": 60 * TARGET_WINDOW_BYTES, "b": 60 * TARGET_WINDOW_BYTES}
    stream, repository = _merged(
        {"a": StreamPosition(start), "b": StreamPosition(start)}, stored, CheckpointPace(clock=clock)
    )
    partitions = list(stream.generate_partitions())
    assert len(partitions) > CHECKPOINT_INTERVAL_S
    expected: list[dict[str, Any]] = []
    for second, partition in enumerate(partitions):
        clock.now_s = float(second)
        stream.cursor.close_partition(partition)
        if second % CHECKPOINT_INTERVAL_S == 0:  # 0, 5, 10 ... s
            expected.append(stream.cursor.state)
    assert _states(repository) == expected
    assert len(expected) == math.ceil(len(partitions) / CHECKPOINT_INTERVAL_S) < len(partitions)
    stream.cursor.ensure_at_least_one_state_emitted()
    stream.cursor.ensure_at_least_one_state_emitted()
    assert _states(repository) == [stream.cursor.state]
    assert {group: _watermark(position) for group, position in _positions(stream.cursor.state).items()} == {
        "a": END,
        "b": END,
    }
