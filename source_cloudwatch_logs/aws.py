"""AWS sessions, credentials and the CloudWatch Logs client shared by every stream and thread.

botocore clients are thread-safe, sessions are not: one session and one client are built per sync and
shared by all workers. Retries (throttling, 5xx, dropped connections) are botocore's own, with an explicit
mode and attempt count because the default mode differs between botocore versions.
"""

from __future__ import annotations

import functools
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import boto3
import botocore.session
import orjson
from airbyte_cdk.models import FailureType
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

from source_cloudwatch_logs.spec import CloudWatchLogsConfig

RETRY_MODE = "standard"
READ_MAX_ATTEMPTS = 10  # total attempts per call during a sync
CHECK_MAX_ATTEMPTS = 2  # check should answer quickly, even against an unreachable endpoint
DESCRIBE_PAGE_SIZE = 50  # the API maximum
SESSION_NAME_PREFIX = "airbyte-source-cloudwatch-logs-"

CREDENTIAL_ERROR_CODES = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "ExpiredToken",
    "IncompleteSignature",
}


def role_session_name() -> str:
    """Readable, unique per sync, and within STS's rules (2-64 chars of [\\w+=,.@-])."""
    return SESSION_NAME_PREFIX + secrets.token_hex(4)


def _base_session(config: CloudWatchLogsConfig) -> boto3.Session:
    """Explicit keys when given, else botocore's default credential chain."""
    keys: dict[str, str] = {}
    if config.aws_access_key_id and config.aws_secret_access_key:
        keys["aws_access_key_id"] = config.aws_access_key_id.get_secret_value()
        keys["aws_secret_access_key"] = config.aws_secret_access_key.get_secret_value()
        if config.aws_session_token:
            keys["aws_session_token"] = config.aws_session_token.get_secret_value()
    return boto3.Session(region_name=config.region_name, **keys)


def assume_role_args(config: CloudWatchLogsConfig) -> dict[str, Any]:
    args: dict[str, Any] = {
        "RoleSessionName": role_session_name(),
        "DurationSeconds": config.session_duration,
    }
    if config.role_external_id:
        args["ExternalId"] = config.role_external_id
    return args


def attach_refreshable_credentials(
    session: botocore.session.Session, credentials: DeferredRefreshableCredentials
) -> None:
    """botocore has no public setter for a session's credential object, only for static keys.

    Setting the private `_credentials` is the one place this module relies on a botocore internal;
    unit_tests/test_aws.py fails if botocore stops honouring it.
    """
    session._credentials = credentials


def make_session(config: CloudWatchLogsConfig) -> boto3.Session:
    """The session every client of a sync is built from; with `role_arn`, its credentials are the role's.

    The role's credentials come from botocore's AssumeRoleCredentialFetcher wrapped in
    DeferredRefreshableCredentials: botocore renews them before they expire (15 minutes ahead), under a
    lock, for as long as the sync runs, without rebuilding any client.
    """
    base = _base_session(config)
    if not config.role_arn:
        return base
    sts_creator = functools.partial(base.client, region_name=config.region_name, endpoint_url=config.endpoint_url)
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=sts_creator,
        source_credentials=base.get_credentials(),
        role_arn=config.role_arn,
        extra_args=assume_role_args(config),
    )
    role_session = botocore.session.get_session()
    attach_refreshable_credentials(
        role_session,
        DeferredRefreshableCredentials(method="assume-role", refresh_using=fetcher.fetch_credentials),
    )
    return boto3.Session(botocore_session=role_session, region_name=config.region_name)


def client_config(max_attempts: int, pool_size: int = 10) -> Config:
    return Config(
        retries={"mode": RETRY_MODE, "total_max_attempts": max_attempts},
        max_pool_connections=pool_size,
        connect_timeout=10,
        read_timeout=60,
        user_agent_extra="airbyte-source-cloudwatch-logs",
    )


class RateLimiter:
    """Evenly spaced permits, `rate` per second, shared by every thread (a leaky bucket with a burst of one).

    Spacing requests evenly keeps the connector under a server-side token bucket of the same rate whatever
    its burst size, so pacing replaces throttling instead of provoking it.
    """

    def __init__(
        self, rate: float, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Blocks until this caller's slot; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
        wait = slot - now
        if wait > 0:
            self._sleep(wait)
        return wait


@dataclass
class ApiStats:
    """Requests sent (retries included), throttled answers and other failed attempts, per operation."""

    calls: Counter[str] = field(default_factory=Counter)
    throttles: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def total(self, counter: Counter[str]) -> int:
        return sum(counter.values())


THROTTLING_CODES = {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
PACED_OPERATIONS = ("FilterLogEvents", "DescribeLogGroups")


def pace(client: Any, limiters: Mapping[str, RateLimiter], stats: ApiStats) -> None:
    """Hooks the limiters into botocore's per-attempt events, so retries are paced and counted too."""

    def before_send(event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        limiter = limiters.get(operation)
        if limiter is not None:
            limiter.acquire()
        stats.calls[operation] += 1  # Counter increments of one key are atomic enough under the GIL

    def response_received(event_name: str, parsed_response: Any = None, exception: Any = None, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        code = (parsed_response or {}).get("Error", {}).get("Code") if isinstance(parsed_response, dict) else None
        if code in THROTTLING_CODES:
            stats.throttles[operation] += 1
        elif code or exception is not None:
            stats.errors[operation] += 1

    events = client.meta.events
    events.register("before-send.cloudwatch-logs", before_send)
    events.register("response-received.cloudwatch-logs", response_received)


def parse_events_fast(response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any) -> None:
    """Parses a successful FilterLogEvents body with one C-level JSON decode instead of botocore's shape walk.

    botocore's parser visits every field of every event in Python: about 5 µs an event, which alone capped
    plain boto3 paging at ~70k events/s in the benchmark. The JSON protocol's wire names are the member names
    for this operation, so the decoded body is exactly what botocore would return (unit_tests/test_aws.py
    compares the two); botocore then parses only the emptied body. Errors keep botocore's own parsing.
    """
    if response_dict.get("status_code") != 200:
        return
    customized_response_dict.update(orjson.loads(response_dict["body"]))
    response_dict["body"] = b"{}"


class LogsApi:
    """The CloudWatch Logs calls the connector makes, on one shared, paced client."""

    def __init__(self, client: Any, region: str, stats: ApiStats | None = None) -> None:
        self.client = client
        self.region = region
        self.endpoint: str = client.meta.endpoint_url
        self.stats = stats or ApiStats()
        self.server_time_ms: int | None = None  # from the Date header of the first DescribeLogGroups answer

    @classmethod
    def connect(
        cls, config: CloudWatchLogsConfig, max_attempts: int = READ_MAX_ATTEMPTS, pool_size: int = 10
    ) -> LogsApi:
        session = make_session(config)
        client = session.client(
            "logs",
            region_name=config.region_name,
            endpoint_url=config.endpoint_url,
            config=client_config(max_attempts, pool_size),
        )
        stats = ApiStats()
        pace(client, {op: RateLimiter(config.requests_per_second) for op in PACED_OPERATIONS}, stats)
        client.meta.events.register("before-parse.cloudwatch-logs.FilterLogEvents", parse_events_fast)
        return cls(client, config.region_name, stats)

    def log_groups(self, prefix: str | None = None, page_size: int = DESCRIBE_PAGE_SIZE) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"limit": page_size}
        if prefix:
            params["logGroupNamePrefix"] = prefix
        while True:
            page = self.client.describe_log_groups(**params)
            if self.server_time_ms is None:
                self.server_time_ms = _server_time_ms(page)
            yield from page.get("logGroups", [])
            token = page.get("nextToken")
            if not token:
                return
            params["nextToken"] = token

    def log_group(self, name: str) -> dict[str, Any] | None:
        """The log group with exactly this name, or None."""
        for group in self.log_groups(prefix=name):
            if group["logGroupName"] == name:
                return group
            if group["logGroupName"] > name:  # results are sorted by name
                return None
        return None

    def filter_log_events(self, **params: Any) -> Mapping[str, Any]:
        return self.client.filter_log_events(**params)  # type: ignore[no-any-return]


def _server_time_ms(page: Mapping[str, Any]) -> int | None:
    date = page.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return int(parsedate_to_datetime(date).timestamp()) * 1000 if date else None
    except (TypeError, ValueError):
        return None


def error_code(error: BaseException) -> str | None:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "") or None
    return None


USER_FIXABLE_CODES = CREDENTIAL_ERROR_CODES | {
    "AccessDeniedException",
    "AccessDenied",
    "ResourceNotFoundException",
    "InvalidOperationException",
}


def failure_type(error: BaseException) -> FailureType:
    """config_error when the user must change something (keys, permissions, names), else transient."""
    if isinstance(error, NoCredentialsError | EndpointConnectionError) or error_code(error) in USER_FIXABLE_CODES:
        return FailureType.config_error
    return FailureType.system_error


def explain(error: BaseException, action: str, region: str, endpoint: str) -> str:
    """A message a user can act on, for an AWS failure of `action` (e.g. "logs:FilterLogEvents").

    AWS error messages name principals and resources, never credentials, so they are safe to quote.
    """
    code = error_code(error)
    if isinstance(error, NoCredentialsError):
        return (
            "No AWS credentials were found: set aws_access_key_id and aws_secret_access_key, "
            "or provide credentials through the default AWS credential chain."
        )
    if isinstance(error, EndpointConnectionError):
        return (
            f"Could not reach CloudWatch Logs at {endpoint}: check that region_name "
            f"('{region}') is a real AWS region and endpoint_url, if set, is reachable."
        )
    if isinstance(error, ClientError):
        message = error.response.get("Error", {}).get("Message") or str(error)
        if code in CREDENTIAL_ERROR_CODES:
            return (
                f"AWS rejected the credentials ({code}: {message}). Check aws_access_key_id, "
                "aws_secret_access_key and aws_session_token."
            )
        if code in {"AccessDeniedException", "AccessDenied"}:
            return f"Permission denied: the credentials are not allowed {action} ({message}). Grant {action}."
        if code == "ResourceNotFoundException":
            return f"{message} ({action})"
        return f"{action} failed with {code}: {message}"
    if isinstance(error, BotoCoreError):
        return f"{action} failed: {error}"
    return f"{action} failed: {type(error).__name__}"
