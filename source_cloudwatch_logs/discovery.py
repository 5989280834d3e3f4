"""Log groups and custom reports, turned into stream definitions."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from source_cloudwatch_logs.log_events import EventQuery
from source_cloudwatch_logs.log_groups import LogGroup, LogGroups
from source_cloudwatch_logs.spec import CloudWatchLogsConfig, CustomLogReport, config_error


@dataclass(frozen=True)
class StreamDefinition:
    """One stream: a log group and what FilterLogEvents is asked of it."""

    name: str
    group: LogGroup
    query: EventQuery

    @classmethod
    def of_group(cls, group: LogGroup) -> StreamDefinition:
        return cls(name=group.name, group=group, query=EventQuery(log_group=group.name))

    @classmethod
    def of_report(cls, report: CustomLogReport, group: LogGroup) -> StreamDefinition:
        query = EventQuery(
            log_group=group.name,
            log_stream_names=tuple(report.log_stream_names) if report.log_stream_names else None,
            log_stream_name_prefix=report.log_stream_name_prefix,
            filter_pattern=report.filter_pattern,
        )
        return cls(name=report.name, group=group, query=query)


def _warn_unreadable(groups: Iterable[LogGroup], logger: logging.Logger) -> None:
    for group in groups:
        logger.warning(
            f"Log group '{group.name}' is not offered as a stream: its log class {group.log_class} does not "
            "support FilterLogEvents (only STANDARD does). Use a STANDARD log group to replicate it."
        )


def discover_streams(
    log_groups: LogGroups, config: CloudWatchLogsConfig, logger: logging.Logger
) -> list[StreamDefinition]:
    """One stream per readable log group under the prefix, then one per custom report."""
    groups = list(log_groups.list(config.log_group_prefix))
    _warn_unreadable((group for group in groups if not group.readable), logger)
    streams = [StreamDefinition.of_group(group) for group in groups if group.readable]
    by_name = {group.name: group for group in groups}
    taken = {stream.name for stream in streams}

    for index, report in enumerate(config.custom_log_reports or []):
        field = f"custom_log_reports[{index}]"
        if report.name in taken:
            raise config_error(
                f"`{field}.name` '{report.name}' is also the name of a discovered log group; "
                "choose another stream name for the report."
            )
        group = by_name.get(report.log_group_name) or log_groups.get(report.log_group_name)
        if group is None:
            raise config_error(
                f"`{field}.log_group_name` '{report.log_group_name}' does not exist in region "
                f"{config.region_name}; fix the name or remove the report."
            )
        if not group.readable:
            raise config_error(
                f"`{field}.log_group_name` '{group.name}' has log class {group.log_class}, which does not "
                "support FilterLogEvents; only STANDARD log groups can be read."
            )
        streams.append(StreamDefinition.of_report(report, group))
        taken.add(report.name)
    return streams
