"""Shared helpers of the unit tests: one copy each."""

from __future__ import annotations

import logging
from queue import Queue
from typing import Any

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository
from botocore.exceptions import ClientError

from source_cloudwatch_logs.aws.client import LogsClient
from source_cloudwatch_logs.aws.credentials import AssumeRoleError
from source_cloudwatch_logs.aws.insights import LogsInsights
from source_cloudwatch_logs.aws.insights_events import InsightsEvents
from source_cloudwatch_logs.aws.log_events import LogEvents
from source_cloudwatch_logs.aws.log_groups import LogGroup
from source_cloudwatch_logs.aws.pacing import ApiStats
from source_cloudwatch_logs.aws.settings import AwsSettings
from source_cloudwatch_logs.aws.windows import Readers
from source_cloudwatch_logs.plan import SyncPlan
from source_cloudwatch_logs.progress import SyncProgress
from source_cloudwatch_logs.spec import aws_settings, parse_config


class StubClient:
    """Answers FilterLogEvents, DescribeLogGroups and ListLogGroups from scripted lists of pages (or exceptions)
    and records each call. Stands in for the botocore client where a test needs page shapes a server never
    produces on demand. Without scripted ListLogGroups pages it answers as an endpoint that lacks the operation.
    """

    def __init__(
        self, pages: list[Any] | None = None, groups: list[Any] | None = None, listed: list[Any] | None = None
    ) -> None:
        self.pages = list(pages or [])
        self.groups = list(groups or [])
        self.listed = list(listed or [])
        self.calls: list[dict[str, Any]] = []
        self.describe_calls: list[dict[str, Any]] = []
        self.list_calls: list[dict[str, Any]] = []
        self.query_calls: list[dict[str, Any]] = []  # StartQuery's parameters
        self.query_error: Exception | None = None  # what StartQuery raises, if anything

    def list_log_groups(self, **params: Any) -> dict[str, Any]:
        self.list_calls.append(dict(params))
        if not self.listed:
            raise aws_error("UnknownOperationException", "", "ListLogGroups")
        return self._next(self.listed)

    def start_query(self, **params: Any) -> dict[str, Any]:
        self.query_calls.append(dict(params))
        if self.query_error is not None:
            raise self.query_error
        return {"queryId": f"q{len(self.query_calls)}"}

    def get_query_results(self, **params: Any) -> dict[str, Any]:
        return {"status": "Complete", "results": [], "statistics": {}}

    def stop_query(self, **params: Any) -> dict[str, Any]:
        return {"success": False}

    def filter_log_events(self, **params: Any) -> dict[str, Any]:
        self.calls.append(dict(params))
        return self._next(self.pages)

    def describe_log_groups(self, **params: Any) -> dict[str, Any]:
        self.describe_calls.append(dict(params))
        return self._next(self.groups)

    @staticmethod
    def _next(answers: list[Any]) -> dict[str, Any]:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]


def stub_logs(
    pages: list[Any] | None = None, groups: list[Any] | None = None, listed: list[Any] | None = None
) -> tuple[LogsClient, StubClient]:
    client = StubClient(pages, groups, listed)
    logs = LogsClient(
        client=client,
        region="us-east-1",
        endpoint="https://logs.us-east-1.amazonaws.com",
        stats=ApiStats(),
        limiters={},
    )
    return logs, client


NOW = 1_795_000_000_000


def settings_of(raw: dict[str, Any]) -> AwsSettings:
    """The AWS layer's settings of a raw config, as the connector builds them."""
    return aws_settings(parse_config(raw))


def sync_plan(
    *, now_ms: int = NOW, end_ms: int = NOW - 300_000, pages: list[Any] | None = None, **settings: Any
) -> SyncPlan:
    """A plan as `plan_sync` builds it, on a stub client, without discovery: for building streams in tests."""
    config = parse_config({"region_name": "us-east-1", **settings})
    logs, _ = stub_logs(pages)
    queue: Queue[Any] = Queue()
    repository = InMemoryMessageRepository()
    return SyncPlan(
        config=config,
        readers=Readers(
            events=LogEvents(logs=logs), insights=InsightsEvents(insights=LogsInsights(logs=logs, max_queries=2))
        ),
        now_ms=now_ms,
        end_ms=end_ms,
        streams=[],
        state_manager=ConnectorStateManager(),
        queue=queue,
        repository=repository,
        progress=SyncProgress(repository, logs.stats, total_streams=1),
        logger=logging.getLogger("test"),
        announcements=[],
    )


START, END = 1_795_000_000_000, 1_795_000_060_000  # a one-minute window


def event(ts: int, n: int, lag: int = 10) -> dict[str, Any]:
    return {"eventId": str(n), "timestamp": ts, "message": f"m{n}", "logStreamName": "s", "ingestionTime": ts + lag}


def aws_error(code: str, message: str, operation: str = "FilterLogEvents") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def group(name: str = "g", **fields: Any) -> LogGroup:
    values: dict[str, Any] = {"creation_ms": None, "retention_days": None, "stored_bytes": 0, "log_class": None}
    values.update(fields)
    return LogGroup(name=name, **values)


ROLE = "arn:aws:iam::210987654321:role/cloudwatch-reader"


BASE_CONFIG = {
    "region_name": "us-east-1",
    "aws_access_key_id": "AKIDEXAMPLE",
    "aws_secret_access_key": "not-a-real-secret",
}


DENIED = (
    "User: arn:aws:iam::123456789012:user/etl is not authorized to perform: sts:AssumeRole on resource: "
    "arn:aws:iam::210987654321:role/cloudwatch-reader"
)


def sts_error(code: str, message: str, operation: str = "AssumeRole") -> ClientError:
    return ClientError({"Error": {"Type": "Sender", "Code": code, "Message": message}}, operation)


def role_error(code: str, message: str, duration: int = 7200) -> AssumeRoleError:
    return AssumeRoleError(sts_error(code, message), ROLE, duration)
