"""A merged stream: one stream over many log groups (a custom report with `log_group_prefix` or
`log_group_names`), each group read exactly as a stream of its own and keeping its own position.

State: `{"timestamp": <the lowest watermark>, "groups": {"<key>": <the group's position, compact>}}`
(merged_state.py; the form written before, with `log_groups`, is read unchanged), where a group's key is its name,
or `<account id>:<name>` for a group named by ARN or of a linked account (`StreamDefinition.state_key`,
discovery.py). The top-level `timestamp` is the lowest watermark (and what a destination shows); each group
resumes from its own entry, so a busy group never holds back a quiet one, nor hides its late
events. A group without an entry (created since, or new to the prefix) starts from `start_date` or its oldest
data; an entry whose group no longer exists is dropped, with a log line. A state with a `timestamp` but neither
`groups` nor `log_groups` (the stream used to read one group) is every group's starting position.

The state is checkpointed at a bounded pace (checkpoints.py), after the records it covers, and always when the
stream ends. Warnings its groups would each repeat (events later than the lookback covers) are said once, at the
stream's end, naming the groups (group_warnings.py).

A member that exists but cannot be read as the report asks (`MergedDefinition.left_out`) keeps its position; the
stream reads the other members, then fails with the report's problem: it ends INCOMPLETE, never COMPLETE without
those groups, and the sync exits non-zero after every other stream is read (the CDK's rule for
an error raised by a stream's partition generator).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from typing import Any

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.types import Record, StreamSlice

from source_cloudwatch_logs.checkpoints import CheckpointPace
from source_cloudwatch_logs.cursor import StateEmitter, WindowCursor
from source_cloudwatch_logs.discovery import MergedDefinition
from source_cloudwatch_logs.group_warnings import GroupWarnings
from source_cloudwatch_logs.merged_state import compact_state
from source_cloudwatch_logs.plan import SyncPlan
from source_cloudwatch_logs.spec import config_error
from source_cloudwatch_logs.state import StreamPosition
from source_cloudwatch_logs.streams import LogEventsPartition, StreamContext, concurrent_stream, window_reader

GROUP_KEY = "log_group"  # a window's log group, in its slice's partition


class MergedCursor(Cursor):
    """The stream's state, made of its groups' cursors (each a `WindowCursor` that reports its changes here),
    emitted at the pace of `pace` and always when the stream ends; `on_end` is called then too."""

    def __init__(
        self,
        *,
        stream_name: str,
        state_manager: ConnectorStateManager,
        repository: MessageRepository,
        kept: Mapping[str, StreamPosition] | None = None,
        pace: CheckpointPace | None = None,
        on_end: Callable[[], None] = lambda: None,
    ) -> None:
        self._states = StateEmitter(stream_name=stream_name, state_manager=state_manager, repository=repository)
        self._members: dict[str, WindowCursor] = {}
        self._kept = dict(kept or {})  # positions of groups left out this sync, as they were
        self._pace = pace or CheckpointPace()
        self._on_end = on_end
        self._pending = False  # a change not emitted yet
        self._emitted = False
        self._lock = threading.RLock()

    def add(self, group: str, cursor: WindowCursor) -> None:
        self._members[group] = cursor

    @property
    def state(self) -> MutableMapping[str, Any]:
        return compact_state({**self._kept, **{group: cursor.position for group, cursor in self._members.items()}})

    def observe(self, record: Record) -> None:
        pass

    def should_be_synced(self, record: Record) -> bool:
        return True

    def close_partition(self, partition: Partition) -> None:
        stream_slice = partition.to_slice()
        if not isinstance(stream_slice, StreamSlice):
            raise ValueError("a merged stream's window without its log group")
        group = str(stream_slice.partition[GROUP_KEY])
        self._members[group].close_partition(partition)  # reports back through `changed`

    def ensure_at_least_one_state_emitted(self) -> None:
        """The stream has ended (the CDK calls this once every window is closed): its last state, at once."""
        with self._lock:
            if self._pending or not self._emitted:
                self._emit()
        self._on_end()

    def changed(self, member_state: Mapping[str, Any] | None = None) -> None:
        """A member's state changed (its cursor calls this with its own state, which `state` reads anyway): the
        stream's state is emitted if a checkpoint is due, else at the next one."""
        with self._lock:
            if self._pace.due():
                self._emit()
            else:
                self._pending = True

    def _emit(self) -> None:
        state = self.state
        self._states.emit(state)
        self._pace.done(len(json.dumps(state, separators=(",", ":"))))
        self._pending, self._emitted = False, True


class MergedPartitionGenerator(PartitionGenerator):
    """The windows of every group, one group after the other in turn, so all groups are read at once."""

    def __init__(
        self,
        *,
        name: str,
        members: list[tuple[StreamContext, WindowCursor]],
        plan: SyncPlan,
        problem: str | None = None,
    ) -> None:
        self._name = name
        self._members = members
        self._plan = plan
        self._problem = problem  # groups left out: raised once every window is handed over

    def generate(self) -> Iterable[Partition]:
        progress = self._plan.progress
        parser = next((context.parser for context, _ in self._members), None)
        progress.stream_started(
            self._name,
            f"{len(self._members)} log groups up to the same end",
            lookback_ms=max((context.lookback_ms for context, _ in self._members), default=0),
            parsed_as=self._members[0][0].definition.parsing.message_format if parser is not None else "",
        )
        count = 0
        for turn in itertools.zip_longest(*(_partitions(context, cursor) for context, cursor in self._members)):
            for partition in turn:
                if partition is not None:
                    count += 1
                    yield partition
        progress.windows_planned(self._name, count)
        if self._problem is not None:
            raise config_error(
                f"Stream '{self._name}': {self._problem} Its other log groups were read.",
                f"merged stream {self._name}: members left out",
            )


def _partitions(context: StreamContext, cursor: WindowCursor) -> Iterator[LogEventsPartition]:
    for window in cursor.stream_slices():
        yield LogEventsPartition(context, window)


def build_merged_stream(
    *,
    definition: MergedDefinition,
    positions: Mapping[str, StreamPosition | None],
    plan: SyncPlan,
    kept: Mapping[str, StreamPosition] | None = None,
    pace: CheckpointPace | None = None,
) -> DefaultStream:
    """The stream of a merged report: `positions` by member state key; `kept`, the positions of the members
    left out this sync (plan.py); `pace`, when its state is checkpointed (checkpoints.py's by default)."""
    warnings = GroupWarnings(repository=plan.repository)
    cursor = MergedCursor(
        stream_name=definition.name,
        state_manager=plan.state_manager,
        repository=plan.repository,
        kept=kept,
        pace=pace,
        on_end=warnings.say,
    )
    members = []
    for member in definition.members:
        key = member.state_key
        member_cursor, context = window_reader(
            definition=member,
            position=positions.get(key),
            plan=plan,
            slice_partition={GROUP_KEY: key},
            emit=cursor.changed,
            group_warnings=warnings,
        )
        cursor.add(key, member_cursor)
        members.append((context, member_cursor))
    generator = MergedPartitionGenerator(
        name=definition.name, members=members, plan=plan, problem=definition.left_out_problem
    )
    return concurrent_stream(definition=definition, generator=generator, cursor=cursor, plan=plan)
