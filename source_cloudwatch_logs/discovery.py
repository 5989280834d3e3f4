"""Log groups and custom reports, turned into stream definitions.

A log group of the INFREQUENT_ACCESS class, which FilterLogEvents refuses, is read with Logs Insights, and so is
a report with a `query`. One report that cannot be read now (its group deleted, or of a class its reading
refuses) never fails a
discover or a sync: it is left out with a warning naming the report, like a deleted log group. `check` fails
on it (the report is the user's to fix). A log group named like a report is not offered as a stream: the
configured report keeps its name.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from source_cloudwatch_logs.formats import RAW_MESSAGES, Parsing
from source_cloudwatch_logs.insights_events import InsightsSource
from source_cloudwatch_logs.log_events import EventQuery
from source_cloudwatch_logs.log_groups import (
    INFREQUENT_ACCESS,
    LogGroup,
    LogGroups,
    group_arn,
    linked_stream_name,
    parse_linked_stream_name,
)
from source_cloudwatch_logs.queries import report_columns
from source_cloudwatch_logs.records import record_schema
from source_cloudwatch_logs.spec import CloudWatchLogsConfig, CustomLogReport

PREFIX_FIELD = "log_group_prefix"


@dataclass(frozen=True)
class StreamDefinition:
    """One stream: a log group and what FilterLogEvents (or, with `insights`, Logs Insights) is asked of it."""

    name: str
    group: LogGroup
    query: EventQuery
    field: str | None = None  # the custom report it comes from, e.g. `custom_log_reports[0]`
    insights: InsightsSource | None = None  # read with Logs Insights, not FilterLogEvents
    parsing: Parsing = RAW_MESSAGES

    @property
    def schema(self) -> dict[str, Any]:
        report_query = self.insights.report_query if self.insights is not None else None
        return stream_schema(report_query, self.parsing)

    @classmethod
    def of_group(
        cls, group: LogGroup, own_account: str | None = None, parsing: Parsing = RAW_MESSAGES
    ) -> StreamDefinition:
        """A group of the credentials' own account keeps its plain name; a linked account's is `<account>:<name>`
        and is read by ARN (`own_account` is None when linked accounts are off: every group is the account's)."""
        insights = None if group.filterable else InsightsSource(groups=(group.identifier,))
        if _linked(group, own_account):
            name = linked_stream_name(str(group.account_id), group.name)
            query = EventQuery(log_group=group.name, identifier=group.arn)
            return cls(name=name, group=group, query=query, insights=insights, parsing=parsing)
        query = EventQuery(log_group=group.name)
        return cls(name=group.name, group=group, query=query, insights=insights, parsing=parsing)

    @classmethod
    def of_report(
        cls,
        report: CustomLogReport,
        group: LogGroup,
        index: int,
        own_account: str | None = None,
        parsing: Parsing = RAW_MESSAGES,
    ) -> StreamDefinition:
        query = EventQuery(
            log_group=group.name,
            log_stream_names=tuple(report.log_stream_names) if report.log_stream_names else None,
            log_stream_name_prefix=report.log_stream_name_prefix,
            filter_pattern=report.filter_pattern,
            identifier=group.arn
            if (report.log_group_name or "").startswith("arn:") or _linked(group, own_account)
            else None,
        )
        insights = None
        if report.query:
            columns = report_columns(report.query)
            numeric = frozenset(name for name, kind in columns.items() if kind == "number")
            insights = InsightsSource(groups=(group.identifier,), report_query=report.query, numeric=numeric)
        field = f"{report_field(index)}.query" if report.query else report_field(index)
        return cls(name=report.name, group=group, query=query, field=field, insights=insights, parsing=parsing)


@dataclass(frozen=True)
class MergedDefinition:
    """One stream over many log groups (a custom report with `log_group_prefix` or `log_group_names`): a member
    definition per log group that exists now, each named like the stream."""

    name: str
    field: str
    members: tuple[StreamDefinition, ...]
    report_query: str | None = None
    parsing: Parsing = RAW_MESSAGES

    @property
    def schema(self) -> dict[str, Any]:
        return stream_schema(self.report_query, self.parsing)


Definition = StreamDefinition | MergedDefinition


def stream_schema(report_query: str | None, parsing: Parsing) -> dict[str, Any]:
    return record_schema(report_columns(report_query) if report_query else None, parsing.columns)


def parsing_of(config: CloudWatchLogsConfig, report: CustomLogReport | None = None) -> Parsing:
    """The top-level message format, or the report's own."""
    if report is not None and report.message_format is not None:
        return Parsing(report.message_format, report.vpc_flow_log_format or config.vpc_flow_log_format)
    flow_log_format = (report.vpc_flow_log_format if report else None) or config.vpc_flow_log_format
    return Parsing(config.message_format, flow_log_format)


@dataclass(frozen=True)
class Discovery:
    streams: list[Definition]
    report_problems: list[str] = field(default_factory=list)  # reports left out, each naming its field


def report_field(index: int) -> str:
    return f"custom_log_reports[{index}]"


def discover_streams(
    log_groups: LogGroups,
    config: CloudWatchLogsConfig,
    logger: logging.Logger,
    *,
    names: Collection[str] | None = None,
) -> Discovery:
    """One stream per readable log group under the prefix, then one per readable custom report.

    With `names` (the streams a catalog selects), only those groups are described: a read of a few streams
    costs a few calls, however many groups the account holds.
    """
    own_account = own_account_of(log_groups, config)
    linked = tuple(config.account_identifiers or ()) if config.include_linked_accounts else None
    if names is None:
        prefix_field = PREFIX_FIELD if config.log_group_prefix else None
        groups = list(log_groups.list(config.log_group_prefix, field=prefix_field, linked=linked))
    else:
        report_names = {report.name for report in config.custom_log_reports or []}
        prefix = config.log_group_prefix or ""
        identifiers = set()
        for name in names:
            account_and_group = parse_linked_stream_name(name) if linked is not None else None
            if account_and_group is not None:  # a linked account's group: asked for by ARN
                account, group = account_and_group
                if group.startswith(prefix) and (not linked or account in linked):
                    identifiers.add(group_arn(config.region_name, account, group))
            elif name not in report_names and name.startswith(prefix):
                identifiers.add(name)
        groups = list(log_groups.named(identifiers))
    return streams_of(groups, log_groups, config, logger, own_account=own_account)


def streams_of(
    groups: list[LogGroup],
    log_groups: LogGroups,
    config: CloudWatchLogsConfig,
    logger: logging.Logger,
    *,
    own_account: str | None = None,
) -> Discovery:
    """The streams of these groups and of the custom reports (whose groups are looked up by name or ARN if
    needed)."""
    reports = config.custom_log_reports or []
    report_names = {report.name for report in reports}
    by_name = {key: group for group in groups for key in _keys(group, own_account)}
    missing_report_groups = {
        r.log_group_name for r in reports if r.log_group_name is not None and r.log_group_name not in by_name
    }
    if missing_report_groups:
        looked_up = log_groups.named(missing_report_groups)
        by_name.update({key: group for group in looked_up for key in _keys(group, own_account)})

    streams: list[Definition] = []
    parsing = parsing_of(config)
    for group in groups:
        if group.name in report_names:
            logger.warning(
                f"Log group '{group.name}' is not offered as a stream: a custom report has that name, and keeps "
                "it. Rename the report to replicate both."
            )
        elif not group.readable:
            logger.warning(_unreadable(f"Log group '{group.name}' is not offered as a stream", group))
        else:
            streams.append(StreamDefinition.of_group(group, own_account, parsing))

    problems: list[str] = []
    for index, report in enumerate(reports):
        if report.merged:
            streams.append(_merged(report, index, log_groups, config, logger))
            continue
        where = f"`{report_field(index)}.log_group_name` '{report.log_group_name}'"
        found = by_name.get(str(report.log_group_name))
        if found is None:
            problems.append(
                f"{where} does not exist in region {config.region_name}: fix the name or remove the report."
            )
        elif not found.readable or (not found.filterable and not report.query):
            problems.append(_unreadable(where, found, report=True))
        else:
            streams.append(StreamDefinition.of_report(report, found, index, own_account, parsing_of(config, report)))
    for problem in problems:
        logger.warning(f"Custom report not offered as a stream: {problem}")
    return Discovery(streams=streams, report_problems=problems)


def _merged(
    report: CustomLogReport, index: int, log_groups: LogGroups, config: CloudWatchLogsConfig, logger: logging.Logger
) -> MergedDefinition:
    """A merged report over the groups that exist now (none is fine: groups created later join it)."""
    field = report_field(index)
    if report.log_group_names:
        groups = list(log_groups.named(report.log_group_names, field=f"{field}.log_group_names"))
        missing = sorted(set(report.log_group_names) - {group.name for group in groups})
        if missing:
            logger.warning(
                f"`{field}.log_group_names`: {', '.join(repr(name) for name in missing)} do not exist in region "
                f"{config.region_name} (yet): stream '{report.name}' reads them once they do."
            )
    else:
        groups = list(log_groups.list(report.log_group_prefix, field=f"{field}.log_group_prefix"))
        if not groups:
            logger.warning(
                f"`{field}.log_group_prefix` '{report.log_group_prefix}' matches no log group in region "
                f"{config.region_name} (yet): stream '{report.name}' reads the groups once they exist."
            )
    parsing = parsing_of(config, report)
    members = []
    for group in sorted(groups, key=lambda g: g.name):
        if not group.readable or (not group.filterable and not report.query):
            logger.warning(_unreadable(f"Log group '{group.name}' is left out of stream '{report.name}'", group, True))
        else:
            members.append(StreamDefinition.of_report(report, group, index, parsing=parsing))
    return MergedDefinition(
        name=report.name, field=field, members=tuple(members), report_query=report.query, parsing=parsing
    )


def own_account_of(log_groups: LogGroups, config: CloudWatchLogsConfig) -> str | None:
    """With linked accounts on, the account whose groups keep their plain names ("" when it has no group: every
    group is a linked one); None when linked accounts are off."""
    return (log_groups.own_account() or "") if config.include_linked_accounts else None


def _linked(group: LogGroup, own_account: str | None) -> bool:
    return own_account is not None and group.account_id is not None and group.account_id != own_account


def _keys(group: LogGroup, own_account: str | None) -> list[str]:
    """What a custom report may call the group: its ARN, and its name if it is the account's own."""
    keys = [group.arn] if group.arn else []
    return keys if _linked(group, own_account) else [group.name, *keys]


def _unreadable(what: str, group: LogGroup, report: bool = False) -> str:
    if group.log_class == INFREQUENT_ACCESS and report:
        return (
            f"{what}: its log class {group.log_class} does not support FilterLogEvents, which a report without "
            "`query` uses. Give the report a Logs Insights `query` instead of its filter settings."
        )
    return (
        f"{what}: its log class {group.log_class} supports neither FilterLogEvents nor Logs Insights (STANDARD "
        "and INFREQUENT_ACCESS groups do). Deliver its logs to a STANDARD log group to replicate them."
    )
