"""Log groups (DescribeLogGroups) and custom reports, turned into stream definitions."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from source_cloudwatch_logs.aws import LogsApi
from source_cloudwatch_logs.spec import CloudWatchLogsConfig, CustomLogReport, config_error

# FilterLogEvents works only on these classes; on INFREQUENT_ACCESS (and the newer DELIVERY class)
# it fails with InvalidOperationException. A missing class is a group created before classes existed.
READABLE_CLASSES = {None, "STANDARD"}


@dataclass(frozen=True)
class LogGroup:
    name: str
    creation_ms: int | None
    retention_days: int | None
    stored_bytes: int | None
    log_class: str | None

    @classmethod
    def from_api(cls, group: Mapping[str, Any]) -> LogGroup:
        return cls(
            name=group["logGroupName"],
            creation_ms=group.get("creationTime"),
            retention_days=group.get("retentionInDays"),
            stored_bytes=group.get("storedBytes"),
            log_class=group.get("logGroupClass"),
        )

    @property
    def readable(self) -> bool:
        return self.log_class in READABLE_CLASSES


@dataclass(frozen=True)
class StreamDefinition:
    """One stream: a log group, optionally narrowed the way a custom report says."""

    name: str
    group: LogGroup
    log_stream_names: tuple[str, ...] | None = None
    log_stream_name_prefix: str | None = None
    filter_pattern: str | None = None

    def filter_params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"logGroupName": self.group.name}
        if self.log_stream_names:
            params["logStreamNames"] = list(self.log_stream_names)
        if self.log_stream_name_prefix:
            params["logStreamNamePrefix"] = self.log_stream_name_prefix
        if self.filter_pattern:
            params["filterPattern"] = self.filter_pattern
        return params


def _report_stream(report: CustomLogReport, group: LogGroup) -> StreamDefinition:
    return StreamDefinition(
        name=report.name,
        group=group,
        log_stream_names=tuple(report.log_stream_names) if report.log_stream_names else None,
        log_stream_name_prefix=report.log_stream_name_prefix,
        filter_pattern=report.filter_pattern,
    )


def _warn_unreadable(groups: Iterable[LogGroup], logger: logging.Logger) -> None:
    for group in groups:
        logger.warning(
            f"Log group '{group.name}' is not offered as a stream: its log class {group.log_class} does not "
            "support FilterLogEvents (only STANDARD does). Use a STANDARD log group to replicate it."
        )


def discover_streams(api: LogsApi, config: CloudWatchLogsConfig, logger: logging.Logger) -> list[StreamDefinition]:
    """One stream per readable log group under the prefix, then one per custom report."""
    groups = [LogGroup.from_api(group) for group in api.log_groups(config.log_group_prefix)]
    _warn_unreadable((group for group in groups if not group.readable), logger)
    streams = [StreamDefinition(name=group.name, group=group) for group in groups if group.readable]
    by_name = {group.name: group for group in groups}
    taken = {stream.name for stream in streams}

    for index, report in enumerate(config.custom_log_reports or []):
        field = f"custom_log_reports[{index}]"
        if report.name in taken:
            raise config_error(
                f"`{field}.name` '{report.name}' is also the name of a discovered log group; "
                "choose another stream name for the report."
            )
        group = by_name.get(report.log_group_name)
        if group is None:
            found = api.log_group(report.log_group_name)
            if found is None:
                raise config_error(
                    f"`{field}.log_group_name` '{report.log_group_name}' does not exist in region "
                    f"{config.region_name}; fix the name or remove the report."
                )
            group = LogGroup.from_api(found)
        if not group.readable:
            raise config_error(
                f"`{field}.log_group_name` '{group.name}' has log class {group.log_class}, which does not "
                "support FilterLogEvents; only STANDARD log groups can be read."
            )
        streams.append(_report_stream(report, group))
        taken.add(report.name)
    return streams
