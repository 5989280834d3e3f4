"""Log groups and custom reports, turned into stream definitions.

A log group of the INFREQUENT_ACCESS class, which FilterLogEvents refuses, is read with Logs Insights, and so is
a report with a `query`, and a report (one group, or a merged report's member) of that class without filter
settings (`filter_pattern`, `log_stream_names`, `log_stream_name_prefix`: Insights cannot apply them). One report
that cannot be read now (its group deleted, or of a class its reading refuses) never fails a discover: it is
left out with a warning naming the report (`Discovery.refused` says why, and a sync that selects it ends that
stream INCOMPLETE with this reason, plan.py). `check` fails on it (the report is the user's to fix). A log group
named like a report is not offered as a stream: the configured report keeps its name.

Merged reports (`log_group_prefix` or `log_group_names`): each member keeps its own position under a key in the
stream's state. The key is the group's name, except for a group of another account than the credentials' and a
group named by ARN in `log_group_names`: `<account id>:<name>` (log_groups.linked_stream_name), read by ARN. A
`log_group_prefix` report spans the same accounts as the top-level prefix: the credentials' own, and with
`include_linked_accounts` every linked source account's (narrowed by `account_identifiers`). An
INFREQUENT_ACCESS member of a report with filter settings cannot be read: discover and read warn, `check` fails,
and a read ends the stream INCOMPLETE with an error naming the groups after reading the others
(`MergedDefinition.left_out`). A member of a class neither API reads (DELIVERY) is not a member, with a warning,
as such a group is not offered as a stream of its own.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from source_cloudwatch_logs.aws.insights_events import InsightsSource
from source_cloudwatch_logs.aws.log_events import EventQuery
from source_cloudwatch_logs.aws.log_groups import (
    GROUP_NAME,
    INFREQUENT_ACCESS,
    LogGroup,
    LogGroups,
    by_name,
    group_arn,
    is_arn,
    linked_stream_name,
    parse_linked_stream_name,
)
from source_cloudwatch_logs.aws.queries import report_columns
from source_cloudwatch_logs.aws.windows import Readers, WindowRequest, WindowSource
from source_cloudwatch_logs.formats import RAW_MESSAGES, Parsing
from source_cloudwatch_logs.group_warnings import listed_groups
from source_cloudwatch_logs.records import CONNECTOR_COLUMNS, record_schema
from source_cloudwatch_logs.spec import CloudWatchLogsConfig, CustomLogReport

PREFIX_FIELD = "log_group_prefix"


@dataclass(frozen=True)
class StreamDefinition:
    """One stream: a log group and what the API that reads it is asked (`request`: FilterLogEvents' parameters,
    or what Logs Insights reads; windows.WindowRequest, chosen here once)."""

    name: str
    group: LogGroup
    request: WindowRequest
    setting: str | None = None  # the custom report it comes from, e.g. `custom_log_reports[0]`
    parsing: Parsing = RAW_MESSAGES
    key: str | None = None  # a merged stream's member: its entry in the stream's state (None: the group's name)

    @property
    def schema(self) -> dict[str, Any]:
        return stream_schema(self.request.report_query, self.parsing)

    @property
    def state_key(self) -> str:
        """A merged stream's member: its entry in the stream's state and its windows' tag."""
        return self.key or self.group.name

    def source(self, readers: Readers) -> WindowSource:
        """How this stream's windows are read in a sync."""
        return self.request.source(readers, stream=self.name, setting=self.setting)

    @classmethod
    def of_group(
        cls, group: LogGroup, own_account: str | None = None, parsing: Parsing = RAW_MESSAGES
    ) -> StreamDefinition:
        """A group of the credentials' own account keeps its plain name; a linked account's is `<account>:<name>`
        and is read by ARN (`own_account` is None when linked accounts are off: every group is the account's).
        A group FilterLogEvents refuses (INFREQUENT_ACCESS) is read with Logs Insights."""
        linked = _linked(group, own_account)
        name = linked_stream_name(str(group.account_id), group.name) if linked else group.name
        request: WindowRequest = (
            EventQuery(log_group=group.name, identifier=group.arn if linked else None)
            if group.filterable
            else InsightsSource(groups=(group.identifier,))
        )
        return cls(name=name, group=group, request=request, parsing=parsing)

    @classmethod
    def of_report(
        cls,
        report: CustomLogReport,
        group: LogGroup,
        index: int,
        own_account: str | None = None,
        parsing: Parsing = RAW_MESSAGES,
        *,
        key: str | None = None,
    ) -> StreamDefinition:
        """The report's stream over `group` (a merged report's member under `key`: read by ARN when the key is
        `<account>:<name>`). An INFREQUENT_ACCESS group is read with Logs Insights: with the report's query, or,
        without one, like a group's own stream (the caller leaves out reports whose filter settings need
        FilterLogEvents)."""
        request: WindowRequest
        if report.query:
            columns = report_columns(report.query, CONNECTOR_COLUMNS)
            numeric = frozenset(name for name, kind in columns.items() if kind == "number")
            request = InsightsSource(
                groups=(group.identifier,), report_query=report.query, numeric=numeric, reserved=CONNECTOR_COLUMNS
            )
        elif not group.filterable:
            request = InsightsSource(groups=(group.identifier,))
        else:
            by_arn = (
                is_arn(report.log_group_name or "") or _linked(group, own_account) or (key or group.name) != group.name
            )
            request = EventQuery(
                log_group=group.name,
                log_stream_names=tuple(report.log_stream_names) if report.log_stream_names else None,
                log_stream_name_prefix=report.log_stream_name_prefix,
                filter_pattern=report.filter_pattern,
                identifier=group.arn if by_arn else None,
            )
        setting = f"{report_field(index)}.query" if report.query else report_field(index)
        return cls(name=report.name, group=group, request=request, setting=setting, parsing=parsing, key=key)


@dataclass(frozen=True)
class MergedDefinition:
    """One stream over many log groups (a custom report with `log_group_prefix` or `log_group_names`): a member
    definition per log group that exists now, each named like the stream."""

    name: str
    setting: str  # the custom report it comes from, e.g. `custom_log_reports[0]`
    members: tuple[StreamDefinition, ...]
    report_query: str | None = None
    parsing: Parsing = RAW_MESSAGES
    left_out: tuple[str, ...] = ()  # state keys of member groups that exist but cannot be read as the report asks
    left_out_problem: str | None = None  # why, naming the report's field and the groups, and what to do

    @property
    def schema(self) -> dict[str, Any]:
        return stream_schema(self.report_query, self.parsing)


Definition = StreamDefinition | MergedDefinition


def stream_schema(report_query: str | None, parsing: Parsing) -> dict[str, Any]:
    return record_schema(report_columns(report_query, CONNECTOR_COLUMNS) if report_query else None, parsing.columns)


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
    refused: dict[str, str] = field(default_factory=dict)  # stream name -> why it is not offered (it exists)


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
        groups = by_name(log_groups.list(config.log_group_prefix, field=prefix_field, linked=linked))
    else:
        report_names = {report.name for report in config.custom_log_reports or []}
        prefix = config.log_group_prefix or ""
        identifiers = set()
        for name in names:
            account_and_group = parse_linked_stream_name(name)
            if account_and_group is not None:  # a linked account's group: asked for by ARN
                account, group = account_and_group
                if linked is not None and group.startswith(prefix) and (not linked or account in linked):
                    identifiers.add(group_arn(config.region_name, account, group))
            elif name not in report_names and name.startswith(prefix) and GROUP_NAME.fullmatch(name):
                identifiers.add(name)  # (a name no group can have would fail the whole call)
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
    asked = {_identifier(r.log_group_name) for r in reports if r.log_group_name is not None}
    missing = sorted(asked - set(by_name))
    # Names and ARNs looked up apart: a linked group answering an ARN never becomes what a plain name means.
    by_name.update({group.name: group for group in log_groups.named(n for n in missing if not is_arn(n))})
    by_name.update({str(group.arn): group for group in log_groups.named(n for n in missing if is_arn(n))})

    streams: list[Definition] = []
    refused: dict[str, str] = {}
    parsing = parsing_of(config)
    for group in groups:
        if group.name in report_names:
            logger.warning(
                f"Log group '{group.name}' is not offered as a stream: a custom report has that name, and keeps "
                "it. Rename the report to replicate both."
            )
        elif not group.readable:
            definition = StreamDefinition.of_group(group, own_account, parsing)
            refused[definition.name] = _unreadable(f"Log group '{group.name}' is not offered as a stream", group)
            logger.warning(refused[definition.name])
        else:
            streams.append(StreamDefinition.of_group(group, own_account, parsing))

    problems: list[str] = []
    for index, report in enumerate(reports):
        if report.merged:
            streams.append(_merged(report, index, log_groups, config, logger, own_account))
            continue
        where = f"`{report_field(index)}.log_group_name` '{report.log_group_name}'"
        found = by_name.get(_identifier(str(report.log_group_name)))
        if found is None:
            problems.append(
                f"{where} does not exist in region {config.region_name}: fix the name or remove the report."
            )
        elif not readable_as_asked(found, report):
            problems.append(_unreadable(where, found, report=report))
            refused[report.name] = problems[-1]
        else:
            streams.append(StreamDefinition.of_report(report, found, index, own_account, parsing_of(config, report)))
    for problem in problems:
        logger.warning(f"Custom report not offered as a stream: {problem}")
    return Discovery(streams=streams, report_problems=problems, refused=refused)


def filter_settings(report: CustomLogReport) -> list[str]:
    """The report's settings only FilterLogEvents applies (Logs Insights cannot)."""
    settings = ("filter_pattern", "log_stream_names", "log_stream_name_prefix")
    return [name for name in settings if getattr(report, name)]


def readable_as_asked(group: LogGroup, report: CustomLogReport) -> bool:
    """FilterLogEvents reads it, or Logs Insights reads it with nothing lost (the report's query, or no filter)."""
    return group.filterable or (group.readable and (bool(report.query) or not filter_settings(report)))


def _merged(
    report: CustomLogReport,
    index: int,
    log_groups: LogGroups,
    config: CloudWatchLogsConfig,
    logger: logging.Logger,
    own_account: str | None,
) -> MergedDefinition:
    """A merged report over the groups that exist now (none is fine: groups created later join it), each under
    its state key: the group's name, or `<account>:<name>` for a group named by ARN or of another account."""
    setting = report_field(index)
    found: list[tuple[str, LogGroup]] = []
    if report.log_group_names:
        names_field = f"{setting}.log_group_names"
        asked = [_identifier(name) for name in report.log_group_names]
        by_name = list(log_groups.named([name for name in asked if not is_arn(name)], field=names_field))
        by_arn = list(log_groups.named([name for name in asked if is_arn(name)], field=names_field))
        found = [(group.name, group) for group in by_name] + [(_linked_key(group), group) for group in by_arn]
        answered = {group.name for group in by_name} | {str(group.arn) for group in by_arn}
        missing = sorted({name for name in asked if name not in answered})
        if missing:
            logger.warning(
                f"`{names_field}`: {', '.join(repr(name) for name in missing)} do not exist in region "
                f"{config.region_name} (yet): stream '{report.name}' reads them once they do."
            )
    else:
        linked = tuple(config.account_identifiers or ()) if config.include_linked_accounts else None
        listed = log_groups.list(report.log_group_prefix, field=f"{setting}.log_group_prefix", linked=linked)
        found = [(_linked_key(group) if _linked(group, own_account) else group.name, group) for group in listed]
        if not found:
            logger.warning(
                f"`{setting}.log_group_prefix` '{report.log_group_prefix}' matches no log group in region "
                f"{config.region_name} (yet): stream '{report.name}' reads the groups once they exist."
            )
    parsing = parsing_of(config, report)
    members: list[StreamDefinition] = []
    left_out: list[tuple[str, LogGroup]] = []
    unique: dict[tuple[str | None, str], tuple[str, LogGroup]] = {}
    for key, group in sorted(found, key=lambda pair: (pair[0] != pair[1].name, pair[0])):
        unique.setdefault((group.account_id, group.name), (key, group))  # one group asked twice: its plain key
    unreadable: dict[str | None, list[tuple[str, LogGroup]]] = {}  # by log class: one warning each
    for key, group in sorted(unique.values(), key=lambda pair: pair[0]):
        if not group.readable:
            unreadable.setdefault(group.log_class, []).append((key, group))
        elif not readable_as_asked(group, report):
            left_out.append((key, group))
        else:
            members.append(StreamDefinition.of_report(report, group, index, own_account, parsing, key=key))
    for same_class in unreadable.values():
        keys, group = [key for key, _ in same_class], same_class[0][1]
        if len(keys) == 1:
            logger.warning(_unreadable(f"Log group '{keys[0]}' is left out of stream '{report.name}'", group, report))
        else:
            what = f"{len(keys)} log groups are left out of stream '{report.name}' ({listed_groups(keys)})"
            logger.warning(_unreadable(what, group, report, whose="their"))
    problem = _left_out_problem(report, setting, left_out) if left_out else None
    if problem is not None:
        logger.warning(
            f"{problem} Stream '{report.name}' reads its other log groups, then ends INCOMPLETE with this error "
            "on every sync until this is fixed."
        )
    return MergedDefinition(
        name=report.name,
        setting=setting,
        members=tuple(members),
        report_query=report.query,
        parsing=parsing,
        left_out=tuple(key for key, _ in left_out),
        left_out_problem=problem,
    )


def _identifier(name: str) -> str:
    """A report's log group as a lookup key: its name, or its ARN without a trailing `:*`."""
    return name.removesuffix(":*") if is_arn(name) else name


def _linked_key(group: LogGroup) -> str:
    return linked_stream_name(group.account_id, group.name) if group.account_id else group.name


def _left_out_problem(report: CustomLogReport, setting: str, left_out: list[tuple[str, LogGroup]]) -> str:
    settings = " and ".join(filter_settings(report))
    groups = ", ".join(f"'{key}'" for key, _ in left_out)
    return (
        f"`{setting}` ('{report.name}'): log group(s) {groups} cannot be read as the report asks: their log class "
        f"{INFREQUENT_ACCESS} does not support FilterLogEvents, and Logs Insights, which reads that class, cannot "
        f"apply {settings}. Express the filter as a Logs Insights `query` instead (e.g. `filter @message like "
        "/ERROR/`), or choose the report's log groups so that these are not among them."
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


def _unreadable(what: str, group: LogGroup, report: CustomLogReport | None = None, whose: str = "its") -> str:
    if group.log_class == INFREQUENT_ACCESS and report is not None:
        return (
            f"{what}: {whose} log class {group.log_class} does not support FilterLogEvents, which the report's "
            f"{' and '.join(filter_settings(report))} need (Logs Insights reads that class, but cannot apply them). "
            "Express the filter as a Logs Insights `query` instead, or remove these settings."
        )
    return (
        f"{what}: {whose} log class {group.log_class} supports neither FilterLogEvents nor Logs Insights (STANDARD "
        f"and INFREQUENT_ACCESS groups do). Deliver {whose} logs to a STANDARD log group to replicate them."
    )
