"""A sync's plan, built once before any event is read: the clients, the sync's clock and end, the streams to
read with their usable state positions, the message repository and progress, and what to tell the user first.

Every stream is built from the plan alone (`streams.build_stream`), so a setting goes config -> plan -> stream.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from queue import Queue
from typing import Any

from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStream,
    AirbyteStreamStatus,
    ConfiguredAirbyteCatalog,
    Level,
)
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository, MessageRepository
from airbyte_cdk.sources.message.concurrent_repository import ConcurrentMessageRepository
from airbyte_cdk.sources.streams.concurrent.partitions.types import QueueItem
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status_message

from source_cloudwatch_logs.client import connect
from source_cloudwatch_logs.discovery import Definition, MergedDefinition, discover_streams
from source_cloudwatch_logs.insights import LogsInsights
from source_cloudwatch_logs.insights_events import InsightsEvents
from source_cloudwatch_logs.log_events import LogEvents
from source_cloudwatch_logs.log_groups import LogGroups
from source_cloudwatch_logs.pacing import ApiStats, InFlight, workers_for
from source_cloudwatch_logs.progress import SyncProgress, log
from source_cloudwatch_logs.quotas import budgets
from source_cloudwatch_logs.spec import CloudWatchLogsConfig
from source_cloudwatch_logs.state import (
    IncomingState,
    StreamPosition,
    now_ms,
    read_end_ms,
    usable_group_positions,
    usable_position,
)

QUEUE_SIZE = 10_000  # records, statuses, states and logs on their way to the main thread
BATCHED_QUEUE_SIZE = 8  # the same when a record is a page of up to 10,000 (batches.py)
CLOCK_SKEW_WARNING_MS = 60_000
STALE_NAMES_SHOWN = 10


@dataclass(frozen=True)
class PlannedStream:
    definition: Definition
    position: StreamPosition | None  # the usable state, None without one
    group_positions: dict[str, StreamPosition | None] = field(default_factory=dict)  # a merged stream's (merged.py)


@dataclass(frozen=True)
class SyncPlan:
    config: CloudWatchLogsConfig
    events: LogEvents
    insights: InsightsEvents
    now_ms: int  # the sync's "now", CloudWatch's clock
    end_ms: int  # every stream reads up to here (exclusive)
    streams: list[PlannedStream]
    state_manager: ConnectorStateManager
    queue: Queue[QueueItem]
    repository: MessageRepository
    progress: SyncProgress
    logger: logging.Logger
    announcements: list[AirbyteMessage]  # warnings and statuses to emit before reading, in order
    workers: int = 2  # threads reading windows (pacing.workers_for)
    in_flight: InFlight = field(default_factory=lambda: InFlight(limiter=None, stats=ApiStats(), operation="", upper=2))
    batched_records: bool = False  # records travel a page at a time (batches.py)


def plan_sync(
    *,
    config: CloudWatchLogsConfig,
    catalog: ConfiguredAirbyteCatalog,
    state: IncomingState,
    logger: logging.Logger,
    batched_records: bool = False,
) -> SyncPlan:
    budget = budgets(config.region_name, config.requests_per_second)["FilterLogEvents"]
    workers = workers_for(budget, config.num_workers)
    logs = connect(config, pool_size=workers + 2)
    log_groups = LogGroups(logs=logs)
    selected = {configured.stream.name for configured in catalog.streams}
    discovery = discover_streams(log_groups, config, logger, names=selected)
    definitions = {stream.name: stream for stream in discovery.streams}
    sync_now = sync_clock(server_ms=log_groups.server_time_ms, local_ms=now_ms(), logger=logger)

    notes = _Announcements()
    for warning in state.warnings:
        notes.warn(warning)
    stale = sorted(name for name in state.positions if name not in selected)
    if stale:
        notes.warn(_stale_states(stale))

    streams: list[PlannedStream] = []
    for configured in catalog.streams:
        definition = definitions.get(configured.stream.name)
        if definition is None:
            notes.missing_stream(configured.stream)
            continue
        # A full refresh given a state is a retried attempt of the same sync (Airbyte's resumable full refresh,
        # which the platform clears at the start of every new sync): it resumes there too.
        if isinstance(definition, MergedDefinition):
            groups = [member.group.name for member in definition.members]
            positions, problems = usable_group_positions(state.positions.get(definition.name), groups, sync_now)
            for problem in problems:
                notes.warn(f"State of stream '{definition.name}': {problem}.")
            streams.append(PlannedStream(definition=definition, position=None, group_positions=positions))
            continue
        position = _usable_position(definition.name, state.positions, sync_now, notes)
        streams.append(PlannedStream(definition=definition, position=position))

    queue: Queue[QueueItem] = Queue(maxsize=BATCHED_QUEUE_SIZE if batched_records else QUEUE_SIZE)
    repository = ConcurrentMessageRepository(queue, InMemoryMessageRepository())
    progress = SyncProgress(repository, logs.stats, total_streams=len(streams), limiters=logs.limiters)
    return SyncPlan(
        config=config,
        events=LogEvents(logs=logs),
        insights=InsightsEvents(
            insights=LogsInsights(logs=logs, max_queries=config.max_concurrent_queries), scanned=progress.scanned
        ),
        now_ms=sync_now,
        end_ms=read_end_ms(sync_now, config.ingestion_delay_seconds),
        streams=streams,
        state_manager=ConnectorStateManager(),
        queue=queue,
        repository=repository,
        progress=progress,
        logger=logger,
        announcements=notes.messages,
        batched_records=batched_records,
        workers=workers,
        in_flight=InFlight(
            limiter=logs.limiters.get("FilterLogEvents"), stats=logs.stats, operation="FilterLogEvents", upper=workers
        ),
    )


def sync_clock(*, server_ms: int | None, local_ms: int, logger: logging.Logger) -> int:
    """'Now' for this sync: CloudWatch's clock (the Date of its DescribeLogGroups answer), so a machine whose
    clock is off cannot move the read end into the future and skip events; the local clock only as a fallback."""
    if server_ms is None:
        return local_ms
    if abs(local_ms - server_ms) > CLOCK_SKEW_WARNING_MS:
        logger.warning(
            f"The local clock is {(local_ms - server_ms) / 1000:+.0f} s off CloudWatch's; the connector uses CloudWatch's."
        )
    return server_ms


def _usable_position(
    name: str, positions: Mapping[str, Any], at_ms: int, notes: _Announcements
) -> StreamPosition | None:
    raw = positions.get(name)
    if raw is None or raw == {}:
        return None
    position, problem = usable_position(raw, at_ms)
    if position is None:
        notes.warn(
            f"State of stream '{name}' is not usable ({problem}): the stream is read again from its start "
            "(start_date or the oldest data). Events already delivered repeat with the same eventId."
        )
    elif problem:
        notes.warn(f"State of stream '{name}': {problem}.")
    return position


def _stale_states(names: list[str]) -> str:
    """One line however many streams the state names that the catalog does not."""
    shown = ", ".join(f"'{name}'" for name in names[:STALE_NAMES_SHOWN])
    more = f" and {len(names) - STALE_NAMES_SHOWN} more" if len(names) > STALE_NAMES_SHOWN else ""
    streams = "stream" if len(names) == 1 else f"{len(names)} streams"
    return f"State for {streams} {shown}{more} is ignored: not in the catalog."


class _Announcements:
    def __init__(self) -> None:
        self._repository = InMemoryMessageRepository()
        self.messages: list[AirbyteMessage] = []

    def warn(self, text: str) -> None:
        log(self._repository, Level.WARN, text)
        self.messages.extend(self._repository.consume_queue())

    def missing_stream(self, stream: AirbyteStream) -> None:
        self.warn(
            f"Stream '{stream.name}' is in the catalog but no longer exists in the source (log group deleted, "
            "renamed, or excluded by log_group_prefix). Refresh the source schema; the other streams are read."
        )
        self.messages.append(stream_status_message(stream, AirbyteStreamStatus.INCOMPLETE))
