"""spec, check, discover and read: each parses the config, then asks the modules that own the work."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import replace
from typing import Any

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    ConnectorSpecification,
    Level,
)
from airbyte_cdk.sources import Source
from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.sources.utils.slice_logger import DebugSliceLogger
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.aws.client import DISCOVER_MAX_ATTEMPTS, DISCOVER_READ_TIMEOUT_S, connect
from source_cloudwatch_logs.aws.log_groups import LogGroups
from source_cloudwatch_logs.check import check_connection
from source_cloudwatch_logs.discovery import MergedDefinition, discover_streams
from source_cloudwatch_logs.failures import airbyte_errors
from source_cloudwatch_logs.merged import build_merged_stream
from source_cloudwatch_logs.output import PlainRecords, RecordOutput
from source_cloudwatch_logs.plan import failing_stream, plan_sync
from source_cloudwatch_logs.progress import log
from source_cloudwatch_logs.records import catalog_stream, destination_name_problems
from source_cloudwatch_logs.spec import aws_settings, config_error, connection_specification, parse_config
from source_cloudwatch_logs.state import IncomingState
from source_cloudwatch_logs.streams import build_stream
from source_cloudwatch_logs.sweep import Sweep, SweepSettings

DOCUMENTATION_URL = "https://docs.airbyte.com/integrations/sources/cloudwatch-logs"


class SourceCloudwatchLogs(Source):
    def __init__(self, *, output: RecordOutput | None = None) -> None:
        """`output`: how `read` yields records (output.py); one CDK record per event unless said otherwise."""
        self.output = output or PlainRecords()

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        return config

    @staticmethod
    def read_config(config_path: str) -> MutableMapping[str, Any]:
        document = _read_json(config_path, "config")
        if not isinstance(document, dict):
            raise config_error(f"The config file {config_path} must hold a JSON object.")
        return document

    def read_state(self, state_path: str) -> IncomingState:  # type: ignore[override]
        """Any state shape, made per-stream; what cannot be used is reported by `read`, never dropped silently."""
        if not state_path:
            return IncomingState()
        try:
            return IncomingState.of(_read_json(state_path, "state"))
        except AirbyteTracedException as error:
            return IncomingState(warnings=[f"{error.message} It was ignored: every stream starts from its beginning."])

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

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        return check_connection(parse_config(config), logger)

    @airbyte_errors()
    def discover(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteCatalog:
        settings = parse_config(config)
        logs = connect(
            aws_settings(settings), max_attempts=DISCOVER_MAX_ATTEMPTS, read_timeout_s=DISCOVER_READ_TIMEOUT_S
        )
        discovery = discover_streams(LogGroups(logs=logs, summaries=True, tell=logger.debug), settings, logger)
        names = [stream.name for stream in discovery.streams]
        for problem in destination_name_problems(names):
            logger.warning(problem)
        return AirbyteCatalog(streams=[catalog_stream(s.name, s.schema) for s in discovery.streams])

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: IncomingState | list[AirbyteStateMessage] | MutableMapping[str, Any] | None = None,
    ) -> Iterator[AirbyteMessage]:
        plan = plan_sync(
            config=parse_config(config),
            catalog=catalog,
            state=IncomingState.of(state),
            logger=logger,
            output=self.output,
        )
        yield from plan.announcements
        sweep = Sweep(settings=SweepSettings.of(plan.config), insights=plan.insights, now_ms=plan.now_ms)
        plan = replace(plan, sweep=sweep)
        streams: list[AbstractStream] = [
            build_merged_stream(definition=s.definition, positions=s.group_positions, plan=plan, kept=s.kept_groups)
            if isinstance(s.definition, MergedDefinition)
            else build_stream(definition=s.definition, position=s.position, plan=plan)
            for s in plan.streams
        ]
        streams.extend(failing_stream(failing, plan) for failing in plan.failing)  # they end INCOMPLETE, erring
        if not streams:
            return
        try:
            yield from sweep.run()  # the sweep's queries, before any window: they say what each stream re-reads
        finally:
            plan.readers.insights.stop_all()
        workers = plan.workers
        concurrent = ConcurrentSource.create(
            num_workers=workers,
            initial_number_of_partitions_to_generate=max(1, workers // 2),
            logger=plan.output.read_logger(logger, plan.progress),
            slice_logger=DebugSliceLogger(),
            message_repository=plan.repository,
            queue=plan.queue,
        )
        try:
            yield from concurrent.read(streams)
        finally:
            plan.readers.insights.stop_all()
        yield from plan.repository.consume_queue()  # anything the main thread could not queue
        yield from _log_now(Level.INFO, sweep.summary())  # the sync's summary: the sweep, then the totals
        yield from _log_now(Level.INFO, plan.progress.summary())


def _read_json(path: str, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except json.JSONDecodeError as error:
        raise config_error(f"The {what} file {path} is not valid JSON ({error.msg} at line {error.lineno}).") from None
    except OSError as error:
        raise config_error(f"The {what} file {path} cannot be read ({error.strerror}).") from None


def _log_now(level: Level, text: str) -> Iterator[AirbyteMessage]:
    repository = InMemoryMessageRepository()
    log(repository, level, text)
    yield from repository.consume_queue()
