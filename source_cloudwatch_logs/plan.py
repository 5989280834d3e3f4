"""A sync's plan, built once before any event is read: the clients, the sync's clock and end, the streams to
read with their usable state positions, the message repository and progress, and what to tell the user first.

Every stream is built from the plan alone (`streams.build_stream`), so a setting goes config -> plan -> stream.

A selected stream never ends short with exit 0. One that discovery does not find now is skipped with a warning
(status INCOMPLETE, before any reading) only when it is confirmed gone: a direct read of its log group
(FilterLogEvents of one event, by ARN for a linked `<account>:<name>` stream) answers ResourceNotFoundException,
or no log group can have its name (a custom report since removed). Otherwise (the group exists but is not listed,
the config no longer selects it, a report's group cannot be read as the report asks, or the direct read fails
another way) it is a failing stream (`SyncPlan.failing`, `failing_stream`): its partition generator raises an
error naming the stream and what to do, so the CDK ends it INCOMPLETE with that error and the sync exits non-zero
once the other streams are read.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from functools import partial
from queue import Queue
from typing import TYPE_CHECKING, Any

from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStream,
    AirbyteStreamStatus,
    ConfiguredAirbyteCatalog,
    FailureType,
    Level,
)
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository, MessageRepository
from airbyte_cdk.sources.message.concurrent_repository import ConcurrentMessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import Cursor, CursorField
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.concurrent.partitions.partition_generator import PartitionGenerator
from airbyte_cdk.sources.streams.concurrent.partitions.types import QueueItem
from airbyte_cdk.sources.types import Record
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status_message
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from botocore.exceptions import BotoCoreError, ClientError

from source_cloudwatch_logs.aws.client import LogsClient, connect
from source_cloudwatch_logs.aws.errors import Action, error_code, explain
from source_cloudwatch_logs.aws.insights import LogsInsights
from source_cloudwatch_logs.aws.insights_events import InsightsEvents
from source_cloudwatch_logs.aws.log_events import EventQuery, LogEvents
from source_cloudwatch_logs.aws.log_groups import (
    GROUP_NAME,
    LogGroups,
    group_arn,
    is_arn,
    parse_linked_stream_name,
)
from source_cloudwatch_logs.aws.pacing import ApiStats, InFlight, workers_for
from source_cloudwatch_logs.aws.quotas import budgets
from source_cloudwatch_logs.aws.waits import Waits
from source_cloudwatch_logs.aws.windows import Readers
from source_cloudwatch_logs.discovery import Definition, Discovery, MergedDefinition, discover_streams, report_field
from source_cloudwatch_logs.failures import airbyte_errors, failure_type
from source_cloudwatch_logs.merged_state import long_form
from source_cloudwatch_logs.output import PlainRecords, RecordOutput
from source_cloudwatch_logs.progress import SyncProgress, log
from source_cloudwatch_logs.ranges import read_end_ms
from source_cloudwatch_logs.records import CURSOR_FIELD, PRIMARY_KEY
from source_cloudwatch_logs.spec import CloudWatchLogsConfig, aws_settings
from source_cloudwatch_logs.state import (
    IncomingState,
    StreamPosition,
    now_ms,
    usable_group_positions,
    usable_position,
)
from source_cloudwatch_logs.statuses import WaitStatuses

if TYPE_CHECKING:
    from source_cloudwatch_logs.sweep import Sweep

CLOCK_SKEW_WARNING_MS = 60_000
STALE_NAMES_SHOWN = 10


@dataclass(frozen=True)
class PlannedStream:
    definition: Definition
    position: StreamPosition | None  # the usable state, None without one
    group_positions: dict[str, StreamPosition | None] = field(default_factory=dict)  # a merged stream's (merged.py)
    kept_groups: dict[str, StreamPosition] = field(default_factory=dict)  # a merged stream's left-out groups


@dataclass(frozen=True)
class FailingStream:
    """A selected stream that cannot be read this sync: `failing_stream` ends it INCOMPLETE with `error`."""

    stream: AirbyteStream
    error: AirbyteTracedException


@dataclass(frozen=True)
class SyncPlan:
    config: CloudWatchLogsConfig
    readers: Readers  # the sync's FilterLogEvents and Logs Insights readers, that streams read windows through
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
    output: RecordOutput = field(default_factory=PlainRecords)  # how records leave (output.py)
    failing: list[FailingStream] = field(default_factory=list)  # selected streams that end INCOMPLETE, erring
    insights: LogsInsights | None = None  # the sync's Logs Insights client, shared by every query (insights.py)
    sweep: Sweep | None = None  # the late-event sweep, set by `read` before streams are built (sweep.py)


@airbyte_errors()
def plan_sync(
    *,
    config: CloudWatchLogsConfig,
    catalog: ConfiguredAirbyteCatalog,
    state: IncomingState,
    logger: logging.Logger,
    output: RecordOutput | None = None,
) -> SyncPlan:
    output = output or PlainRecords()
    budget = budgets(config.region_name, config.requests_per_second)["FilterLogEvents"]
    workers = workers_for(budget, config.num_workers)
    queue: Queue[QueueItem] = Queue(maxsize=output.queue_size)
    repository = ConcurrentMessageRepository(queue, InMemoryMessageRepository())
    statuses = WaitStatuses(repository=repository)
    logs = connect(aws_settings(config), pool_size=workers + 2, waits=Waits(on_wait=statuses.on_wait))
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
    failing: list[FailingStream] = []
    for configured in catalog.streams:
        definition = definitions.get(configured.stream.name)
        if definition is None:
            error = unfound_stream_error(configured.stream.name, config, discovery, logs)
            if error is None:
                notes.missing_stream(configured.stream)
            else:
                failing.append(FailingStream(stream=configured.stream, error=error))
            continue
        # A full refresh given a state is a retried attempt of the same sync (Airbyte's resumable full refresh,
        # which the platform clears at the start of every new sync): it resumes there too.
        if isinstance(definition, MergedDefinition):
            raw = long_form(state.positions.get(definition.name))  # compact or as written before (merged_state.py)
            keys = [member.state_key for member in definition.members]
            positions, problems = usable_group_positions(raw, [*keys, *definition.left_out], sync_now)
            for problem in problems:
                notes.warn(f"State of stream '{definition.name}': {problem}.")
            kept = {key: position for key in definition.left_out if (position := positions[key]) is not None}
            group_positions = {key: positions[key] for key in keys}
            streams.append(
                PlannedStream(definition=definition, position=None, group_positions=group_positions, kept_groups=kept)
            )
            continue
        position = _usable_position(definition.name, state.positions, sync_now, notes)
        streams.append(PlannedStream(definition=definition, position=position))

    progress = SyncProgress(repository, logs.stats, total_streams=len(streams), limiters=logs.limiters)
    insights = LogsInsights(
        logs=logs, max_queries=config.max_concurrent_queries, warn=partial(log, repository, Level.WARN)
    )
    return SyncPlan(
        config=config,
        readers=Readers(
            events=LogEvents(logs=logs),
            insights=InsightsEvents(insights=insights, scanned=progress.scanned),
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
        output=output,
        failing=failing,
        insights=insights,
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


def unfound_stream_error(
    name: str, config: CloudWatchLogsConfig, discovery: Discovery, logs: LogsClient
) -> AirbyteTracedException | None:
    """Why a selected stream that discovery did not offer cannot be read, as its error; None when it is confirmed
    gone (a direct read of its log group answers ResourceNotFoundException, or no group can have its name)."""
    refused = discovery.refused.get(name)
    if refused is not None:  # found, but not readable as configured
        return AirbyteTracedException(
            message=f"Stream '{name}' cannot be read: {refused} Then refresh the source schema; the other streams "
            "are read.",
            internal_message=f"stream {name}: refused by discovery",
            failure_type=FailureType.config_error,
        )
    reports = {report.name: (index, report) for index, report in enumerate(config.custom_log_reports or [])}
    excluded = None
    if name in reports:  # a report on one log group (a merged report is always offered)
        index, report = reports[name]
        identifier = str(report.log_group_name)
        what = f"`{report_field(index)}.log_group_name` '{identifier}'"
        query = _direct_query(identifier)
    else:
        linked = parse_linked_stream_name(name)
        if linked is None and not GROUP_NAME.fullmatch(name):
            return None  # no log group has such a name: a custom report since removed, or a stream of another source
        group = linked[1] if linked is not None else name
        what = f"log group '{group}'" + (f" of account {linked[0]}" if linked is not None else "")
        arn = group_arn(config.region_name, linked[0], group) if linked is not None else None
        query = EventQuery(log_group=group, identifier=arn)
        excluded = _excluded(linked, group, config)
    failure = logs.failure(Action.FILTER_LOG_EVENTS, stream=name)
    try:
        LogEvents(logs=logs).probe(query)
        outcome, kind = "a direct read of it works", FailureType.system_error
    except (ClientError, BotoCoreError) as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        explained = explain(error, failure).rstrip(".")
        outcome, kind = f"a direct read of it fails: {explained}", failure_type(error, failure)
    if excluded is not None:
        message = (
            f"Stream '{name}' is in the catalog, but the config no longer selects its log group ({excluded}); "
            f"{outcome}. Refresh the source schema, or change the config back; the other streams are read."
        )
        kind = FailureType.config_error
    else:
        message = (
            f"Stream '{name}': {what} was not returned by DescribeLogGroups in region {config.region_name}, yet it "
            f"is not gone: {outcome}. The stream was not read. Run the sync again; if this repeats, check that the "
            "credentials may call logs:DescribeLogGroups on it (for a linked account's group: that the account "
            "is still linked and shares its log groups)."
        )
    return AirbyteTracedException(message=message, internal_message=f"stream {name}: not listed", failure_type=kind)


def _direct_query(identifier: str) -> EventQuery:
    """How FilterLogEvents names a report's log group: by name, or by ARN (`logGroupIdentifier`)."""
    if not is_arn(identifier):
        return EventQuery(log_group=identifier)
    arn = identifier.removesuffix(":*")
    return EventQuery(log_group=arn.partition(":log-group:")[2] or arn, identifier=arn)


def _excluded(linked: tuple[str, str] | None, group: str, config: CloudWatchLogsConfig) -> str | None:
    """What in the config leaves a group's stream out, if anything."""
    if linked is not None and not config.include_linked_accounts:
        return f"it is account {linked[0]}'s and include_linked_accounts is off"
    if linked is not None and config.account_identifiers and linked[0] not in config.account_identifiers:
        return f"account {linked[0]} is not in account_identifiers"
    if config.log_group_prefix and not group.startswith(config.log_group_prefix):
        return f"its name does not start with log_group_prefix '{config.log_group_prefix}'"
    return None


class _Raising(PartitionGenerator):
    def __init__(self, error: AirbyteTracedException) -> None:
        self._error = error

    def generate(self) -> Iterable[Partition]:
        raise self._error


class _StateUntouched(Cursor):
    """A stream that reads nothing emits no state: the one it had stays as it was."""

    @property
    def state(self) -> MutableMapping[str, Any]:
        return {}

    def observe(self, record: Record) -> None:
        pass

    def close_partition(self, partition: Partition) -> None:
        pass

    def ensure_at_least_one_state_emitted(self) -> None:
        pass

    def should_be_synced(self, record: Record) -> bool:
        return False


def failing_stream(failing: FailingStream, plan: SyncPlan) -> DefaultStream:
    """A stream that ends INCOMPLETE with its error (the CDK's handling of an error raised while generating its
    partitions), after which the sync exits non-zero once the other streams are read."""
    return DefaultStream(
        partition_generator=_Raising(failing.error),
        name=failing.stream.name,
        json_schema=dict(failing.stream.json_schema),
        primary_key=[PRIMARY_KEY],
        cursor_field=CursorField(CURSOR_FIELD),
        logger=plan.logger,
        cursor=_StateUntouched(),
    )


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
            f"Stream '{stream.name}' is in the catalog but its log group no longer exists (a direct read answered "
            "ResourceNotFoundException: deleted or renamed). Refresh the source schema; the other streams are read."
        )
        self.messages.append(stream_status_message(stream, AirbyteStreamStatus.INCOMPLETE))
