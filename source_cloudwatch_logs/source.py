"""Wiring for spec, check, discover and read."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, MutableMapping
from queue import Queue
from typing import Any

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStream,
    AirbyteStreamState,
    AirbyteStreamStatus,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    ConnectorSpecification,
    Level,
    Status,
    StreamDescriptor,
    SyncMode,
)
from airbyte_cdk.sources import Source
from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository, MessageRepository
from airbyte_cdk.sources.message.concurrent_repository import ConcurrentMessageRepository
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.sources.streams.concurrent.partitions.types import QueueItem
from airbyte_cdk.sources.utils.slice_logger import DebugSliceLogger
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status_message
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from botocore.exceptions import BotoCoreError, ClientError

from source_cloudwatch_logs.aws import CHECK_MAX_ATTEMPTS, LogsApi
from source_cloudwatch_logs.discovery import StreamDefinition, discover_streams
from source_cloudwatch_logs.errors import error_code, explain, failure_type
from source_cloudwatch_logs.progress import SyncProgress, log
from source_cloudwatch_logs.spec import CloudWatchLogsConfig, config_error, connection_specification, parse_config
from source_cloudwatch_logs.state import CURSOR_FIELD, now_ms, read_end_ms, state_positions, usable_position
from source_cloudwatch_logs.streams import RECORD_SCHEMA, build_stream

DOCUMENTATION_URL = "https://docs.airbyte.com/integrations/sources/cloudwatch-logs"
QUEUE_SIZE = 10_000


def catalog_stream(name: str) -> AirbyteStream:
    return AirbyteStream(
        name=name,
        json_schema=dict(RECORD_SCHEMA),
        supported_sync_modes=[SyncMode.full_refresh, SyncMode.incremental],
        source_defined_cursor=True,
        default_cursor_field=[CURSOR_FIELD],
        source_defined_primary_key=[["eventId"]],
        is_resumable=True,
    )


def _aws_failure(error: Exception, action: str, region: str, endpoint: str) -> AirbyteTracedException:
    return AirbyteTracedException(
        message=explain(error, action, region, endpoint),
        internal_message=f"{action}: {type(error).__name__} {error_code(error) or ''}",
        failure_type=failure_type(error),
    )


def _connect(settings: CloudWatchLogsConfig, **options: Any) -> LogsApi:
    """The shared client; a broken credential setup (e.g. AWS_PROFILE naming no profile) is a config_error."""
    try:
        return LogsApi.connect(settings, **options)
    except BotoCoreError as error:
        endpoint = settings.endpoint_url or f"https://logs.{settings.region_name}.amazonaws.com"
        raise _aws_failure(error, "logs:DescribeLogGroups", settings.region_name, endpoint) from None


class SourceCloudwatchLogs(Source):
    # Config validation is the pydantic model's (spec.py), which names the field in every message and
    # never echoes a value; the CDK's JSON-schema pass would print raw values.
    check_config_against_spec = False

    def __init__(self) -> None:
        self._repository: MessageRepository = InMemoryMessageRepository()
        self._state_warnings: list[str] = []

    @property
    def message_repository(self) -> MessageRepository:
        return self._repository

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        return config

    @staticmethod
    def read_config(config_path: str) -> MutableMapping[str, Any]:
        document = _read_json(config_path, "config")
        if not isinstance(document, dict):
            raise config_error(f"The config file {config_path} must hold a JSON object.")
        return document

    def read_state(self, state_path: str) -> list[AirbyteStateMessage]:  # type: ignore[override]
        """Any state shape made per-stream; what cannot be used is reported by `read`, never dropped silently."""
        self._state_warnings = []
        if not state_path:
            return []
        try:
            document = _read_json(state_path, "state")
        except AirbyteTracedException as error:
            self._state_warnings.append(f"{error.message} It was ignored: every stream starts from its beginning.")
            return []
        positions, self._state_warnings = state_positions(document)
        return [
            AirbyteStateMessage(
                type=AirbyteStateType.STREAM,
                stream=AirbyteStreamState(
                    stream_descriptor=StreamDescriptor(name=name),
                    stream_state=AirbyteStateBlob(state if isinstance(state, dict) else {"invalid": state}),
                ),
            )
            for name, state in positions.items()
        ]

    @classmethod
    def read_catalog(cls, catalog_path: str) -> ConfiguredAirbyteCatalog:
        document = _read_json(catalog_path, "catalog")
        try:
            return ConfiguredAirbyteCatalogSerializer.load(document)
        except Exception as error:  # serpyco's validation errors name the path, never a secret
            raise config_error(f"The catalog is not a valid configured catalog: {error}") from None

    def spec(self, logger: logging.Logger) -> ConnectorSpecification:
        return ConnectorSpecification(
            documentationUrl=DOCUMENTATION_URL,
            connectionSpecification=connection_specification(),
        )

    def _streams(self, api: LogsApi, config: CloudWatchLogsConfig, logger: logging.Logger) -> list[StreamDefinition]:
        try:
            return discover_streams(api, config, logger)
        except (ClientError, BotoCoreError) as error:
            raise _aws_failure(error, "logs:DescribeLogGroups", api.region, api.endpoint) from None

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        settings = parse_config(config)
        try:
            api = _connect(settings, max_attempts=CHECK_MAX_ATTEMPTS)
            streams = self._streams(api, settings, logger)
        except AirbyteTracedException as error:
            return AirbyteConnectionStatus(status=Status.FAILED, message=error.message)
        if not streams:
            prefix = f"starts with '{settings.log_group_prefix}'" if settings.log_group_prefix else "exists"
            return AirbyteConnectionStatus(
                status=Status.FAILED,
                message=f"No readable log group {prefix} in region {settings.region_name}, and no "
                "custom_log_reports are set: there is nothing to replicate. Fix log_group_prefix or region_name.",
            )
        probe = streams[0]
        try:
            api.filter_log_events(**probe.filter_params(), limit=1)
        except (ClientError, BotoCoreError) as error:
            message = explain(error, "logs:FilterLogEvents", api.region, api.endpoint)
            return AirbyteConnectionStatus(
                status=Status.FAILED,
                message=f"Listing log groups works, but reading '{probe.group.name}' fails: {message}",
            )
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        settings = parse_config(config)
        api = _connect(settings)
        return AirbyteCatalog(streams=[catalog_stream(stream.name) for stream in self._streams(api, settings, logger)])

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | MutableMapping[str, Any] | None = None,
    ) -> Iterator[AirbyteMessage]:
        settings = parse_config(config)
        api = _connect(settings, pool_size=settings.num_workers + 2)
        definitions = {stream.name: stream for stream in self._streams(api, settings, logger)}

        queue: Queue[QueueItem] = Queue(maxsize=QUEUE_SIZE)
        repository = ConcurrentMessageRepository(queue, InMemoryMessageRepository())
        self._repository = repository
        sync_start = _sync_clock(api, logger)
        sync_end = read_end_ms(sync_start, settings.ingestion_delay_seconds)
        state_manager = ConnectorStateManager(state=state if isinstance(state, list) else None)
        for warning in self._state_warnings:
            yield from _log_now(Level.WARN, warning)
        selected_names = {c.stream.name for c in catalog.streams}
        for descriptor in state_manager.per_stream_states:
            if descriptor.name not in selected_names:
                yield from _log_now(
                    Level.WARN, f"State for stream '{descriptor.name}' is ignored: the stream is not in the catalog."
                )

        selected = [c for c in catalog.streams if c.stream.name in definitions]
        progress = SyncProgress(repository, api.stats, total_streams=len(selected))
        streams: list[AbstractStream] = []
        for configured in catalog.streams:
            name = configured.stream.name
            definition = definitions.get(name)
            if definition is None:
                yield from _missing_stream(configured.stream)
                continue
            stream_state: dict[str, Any] = {}
            if configured.sync_mode == SyncMode.incremental:
                stream_state, note = _usable_state(name, state_manager, sync_start)
                if note:
                    yield from _log_now(Level.WARN, note)
            streams.append(
                build_stream(
                    definition,
                    api,
                    settings,
                    stream_state,
                    state_manager,
                    repository,
                    progress,
                    sync_start,
                    sync_end,
                    logger,
                )
            )
        if not streams:
            return
        concurrent = ConcurrentSource.create(
            num_workers=settings.num_workers,
            initial_number_of_partitions_to_generate=max(1, settings.num_workers // 2),
            logger=logger,
            slice_logger=DebugSliceLogger(),
            message_repository=repository,
            queue=queue,
        )
        yield from concurrent.read(streams)
        yield from _log_now(Level.INFO, progress.summary())


def _read_json(path: str, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except json.JSONDecodeError as error:
        raise config_error(f"The {what} file {path} is not valid JSON ({error.msg} at line {error.lineno}).") from None
    except OSError as error:
        raise config_error(f"The {what} file {path} cannot be read ({error.strerror}).") from None


def _sync_clock(api: LogsApi, logger: logging.Logger) -> int:
    """'Now' for this sync: CloudWatch's clock (the Date of its DescribeLogGroups answer), so a machine whose
    clock is off cannot move the read end into the future and skip events; the local clock only as a fallback."""
    local = now_ms()
    server = api.server_time_ms
    if server is None:
        return local
    if abs(local - server) > 60_000:
        logger.warning(
            f"The local clock is {(local - server) / 1000:+.0f} s off CloudWatch's; the connector uses CloudWatch's."
        )
    return server


def _usable_state(name: str, state_manager: ConnectorStateManager, at_ms: int) -> tuple[dict[str, Any], str | None]:
    raw = state_manager.get_stream_state(name, None)
    if not raw:
        return {}, None
    position, problem = usable_position(dict(raw), at_ms)
    if position is None:
        return {}, (
            f"State of stream '{name}' is not usable ({problem}): the stream is read again from its start "
            "(start_date or the oldest data). Events already delivered repeat with the same eventId."
        )
    return {CURSOR_FIELD: position}, (f"State of stream '{name}': {problem}." if problem else None)


def _log_now(level: Level, text: str) -> Iterator[AirbyteMessage]:
    repository = InMemoryMessageRepository()
    log(repository, level, text)
    yield from repository.consume_queue()


def _missing_stream(stream: AirbyteStream) -> Iterator[AirbyteMessage]:
    yield from _log_now(
        Level.WARN,
        f"Stream '{stream.name}' is in the catalog but no longer exists in the source (log group deleted, "
        "renamed, or excluded by log_group_prefix). Refresh the source schema; the other streams are read.",
    )
    yield stream_status_message(stream, AirbyteStreamStatus.INCOMPLETE)
