"""`check`: can these credentials list the log groups and read the ones that matter?

It succeeds when the first page of groups can be listed (ListLogGroups' 1,000, or DescribeLogGroups' 50 where the
endpoint lacks it: log_groups.py), every custom report can be read with its own filter
and stream selection (a merged report's Infrequent Access members too: it fails when the report's filter settings
cannot apply to them, naming the report and the groups), and at least one stream in all can be read. Groups are probed one family (the name up to
its last `/`) at a time, so a policy that allows FilterLogEvents on `/aws/lambda/*` only is not judged by an
`/aws/apigateway/...` group that sorts first; groups that could not be read are named in a warning. With
`include_linked_accounts`, the listing stops as soon as it holds more than MAX_GROUP_PROBES groups of linked
accounts (the note then says "At least"): check never lists every group of an account that shares some (it
does when none is shared, to say so). Proved by unit_tests/test_check.py and
integration_tests/test_discover_listing.py.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterable, Iterator

from airbyte_cdk.models import AirbyteConnectionStatus, Status
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from botocore.exceptions import BotoCoreError, ClientError

from source_cloudwatch_logs.aws.client import (
    CHECK_MAX_ATTEMPTS,
    CHECK_READ_TIMEOUT_S,
    LogsClient,
    connect,
)
from source_cloudwatch_logs.aws.errors import AwsError, explain
from source_cloudwatch_logs.aws.insights import LogsInsights
from source_cloudwatch_logs.aws.insights_events import InsightsEvents
from source_cloudwatch_logs.aws.log_events import LogEvents
from source_cloudwatch_logs.aws.log_groups import LogGroup, LogGroups, by_name
from source_cloudwatch_logs.aws.windows import Readers
from source_cloudwatch_logs.discovery import (
    PREFIX_FIELD,
    MergedDefinition,
    StreamDefinition,
    own_account_of,
    streams_of,
)
from source_cloudwatch_logs.spec import CloudWatchLogsConfig, aws_settings
from source_cloudwatch_logs.state import now_ms
from source_cloudwatch_logs.sweep import sweep_check

PROBE_AGO_S = 60  # the second a probe may ask about (a Logs Insights query's), before now
MAX_GROUP_PROBES = 10  # FilterLogEvents calls check may make on log groups before it gives up


def check_connection(config: CloudWatchLogsConfig, logger: logging.Logger) -> AirbyteConnectionStatus:
    try:
        logs = connect(aws_settings(config), max_attempts=CHECK_MAX_ATTEMPTS, read_timeout_s=CHECK_READ_TIMEOUT_S)
        log_groups = LogGroups(logs=logs, summaries=True, tell=logger.debug)
        prefix_field = PREFIX_FIELD if config.log_group_prefix else None
        first_page = by_name(log_groups.list(config.log_group_prefix, field=prefix_field, pages=1))
        own_account, linked_note = None, ""
        if config.include_linked_accounts:
            own_account = own_account_of(log_groups, config)
            linked = tuple(config.account_identifiers or ())
            listing = log_groups.list(config.log_group_prefix, field=prefix_field, linked=linked)
            shared = list(itertools.islice(_shared(listing, own_account), MAX_GROUP_PROBES + 1))
            if not shared:
                return _failed(NOTHING_LINKED.format(region=config.region_name))
            accounts = {group.account_id for group in shared}
            at_least = "At least " if len(shared) > MAX_GROUP_PROBES else ""
            linked_note = f"{at_least}{len(shared)} log groups of {len(accounts)} linked accounts are visible."
            logger.info(linked_note)
            first_page = [*first_page, *shared[:MAX_GROUP_PROBES]]
        discovery = streams_of(first_page, log_groups, config, logger, own_account=own_account)
    except (AirbyteTracedException, AwsError) as error:
        return _failed(str(error.message))
    left_out = [s.left_out_problem for s in discovery.streams if isinstance(s, MergedDefinition) and s.left_out_problem]
    if discovery.report_problems or left_out:
        return _failed(" ".join([*discovery.report_problems, *left_out]))
    if not discovery.streams:
        where = f"starts with '{config.log_group_prefix}'" if config.log_group_prefix else "exists"
        return _failed(
            f"No readable log group {where} in region {config.region_name}, and no custom_log_reports are set: "
            "there is nothing to replicate. Fix log_group_prefix or region_name."
        )

    reports = [
        member
        for stream in discovery.streams
        if stream.setting is not None
        for member in (stream.members[:MAX_GROUP_PROBES] if isinstance(stream, MergedDefinition) else [stream])
    ]
    readers = Readers(
        events=LogEvents(logs=logs), insights=InsightsEvents(insights=LogsInsights(logs=logs, max_queries=1))
    )
    for report in reports:
        problem = _probe(readers, logs, report)
        if problem is not None:
            return _failed(
                f"Reading `{report.setting}` ('{report.name}', log group '{report.group.name}') fails: {problem}"
            )

    groups = [stream for stream in discovery.streams if isinstance(stream, StreamDefinition) and stream.setting is None]
    unreadable: list[str] = []
    first_problem = None
    readable = bool(reports) or any(isinstance(stream, MergedDefinition) for stream in discovery.streams)
    swept: StreamDefinition | None = None  # a group read works on: the sweep's queries are probed there
    for group in itertools.islice(_family_first(groups), MAX_GROUP_PROBES):
        problem = _probe(readers, logs, group)
        if problem is None:
            readable, swept = True, group
            break
        unreadable.append(group.name)
        first_problem = first_problem or problem
    names = ", ".join(f"'{name}'" for name in unreadable)
    if not readable:
        return _failed(f"Listing log groups works, but reading {names} fails: {first_problem}")
    if unreadable:
        logger.warning(f"These log groups cannot be read and their streams will fail: {names}. {first_problem}")
    if swept is not None and config.late_sweep_span_hours > 0:  # the sweep's queries: a warning, never a failure
        warning = sweep_check(logs, swept.group.identifier, now_ms() // 1000 - PROBE_AGO_S)
        if warning is not None:
            logger.warning(warning)
    return AirbyteConnectionStatus(status=Status.SUCCEEDED, message=linked_note or None)


NOTHING_LINKED = (
    "include_linked_accounts is set, but no log group of a linked source account is visible in region {region}: "
    "these credentials are not in a CloudWatch cross-account observability monitoring account, no source account "
    "is linked with log groups shared (OAM link resource type AWS::Logs::LogGroup), or account_identifiers names "
    "none of them. Link the source accounts, or turn include_linked_accounts off."
)


def _probe(readers: Readers, logs: LogsClient, stream: StreamDefinition) -> str | None:
    """None if one call of the stream's reading works, else what went wrong: a FilterLogEvents call of one event,
    or (Logs Insights) its query started over one second and stopped at once (its syntax is checked then)."""
    source = stream.source(readers)
    try:
        source.probe(now_ms() // 1000 - PROBE_AGO_S)
    except (ClientError, BotoCoreError) as error:
        return explain(error, logs.failure(source.action, field=stream.setting))
    return None


def _shared(groups: Iterable[LogGroup], own_account: str | None) -> Iterator[LogGroup]:
    """The linked source accounts' groups of a listing, as it goes: check stops listing once it has enough."""
    return (group for group in groups if group.account_id not in (None, own_account))


def _family_first(streams: list[StreamDefinition]) -> Iterable[StreamDefinition]:
    """The first group of each family (name up to its last `/`), then the rest, in name order."""
    seen: set[str] = set()
    firsts: list[StreamDefinition] = []
    rest: list[StreamDefinition] = []
    for stream in streams:
        family = stream.name.rsplit("/", 1)[0]
        (rest if family in seen else firsts).append(stream)
        seen.add(family)
    return [*firsts, *rest]


def _failed(message: str) -> AirbyteConnectionStatus:
    return AirbyteConnectionStatus(status=Status.FAILED, message=message)
