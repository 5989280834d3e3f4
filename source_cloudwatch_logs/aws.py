"""AWS sessions, credentials and the CloudWatch Logs client shared by every stream and thread.

botocore clients are thread-safe, sessions are not: one session and one client are built per sync and
shared by all workers. Retries (throttling, 5xx, dropped connections) are botocore's own, with an explicit
mode and attempt count because the default mode differs between botocore versions.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlparse

import boto3
import botocore.session
import orjson
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
)

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


def assume_role_args(config: CloudWatchLogsConfig, session_name: str | None = None) -> dict[str, Any]:
    """The AssumeRole parameters besides RoleArn; every renewal of one sync's session sends the same ones."""
    args: dict[str, Any] = {
        "RoleSessionName": session_name or role_session_name(),
        "DurationSeconds": config.session_duration,
    }
    if config.role_external_id:
        args["ExternalId"] = config.role_external_id
    return args


class AssumeRoleError(ClientError):  # type: ignore[misc]  # botocore is untyped
    """sts:AssumeRole failed. Still the ClientError botocore raised (same response, operation 'AssumeRole'),
    plus the role and duration that were asked for, so that `explain` can name them."""

    def __init__(self, error: ClientError, role_arn: str, duration_seconds: int) -> None:
        super().__init__(error.response, error.operation_name)
        self.role_arn = role_arn
        self.duration_seconds = duration_seconds

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (ClientError(self.response, self.operation_name), self.role_arn, self.duration_seconds))


class _NoCache:
    """A credential cache that never holds anything.

    AssumeRoleCredentialFetcher's own cache decides freshness with the real clock and its own 15-minute window;
    without it, the refreshable credentials object alone (its clock, its windows) decides when STS is called.
    """

    def __contains__(self, key: object) -> bool:
        return False

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __setitem__(self, key: str, value: Any) -> None:
        pass


class RoleCredentialSource:
    """Fresh role credentials from sts:AssumeRole, signed with the base credentials; botocore calls it
    (under its refresh lock) whenever the role's credentials are missing or about to expire.

    Every value it returns is registered with the CDK's secret filter, so that no log line can show it.
    """

    def __init__(self, base: boto3.Session, config: CloudWatchLogsConfig, sts_config: Config) -> None:
        if not config.role_arn:
            raise ValueError("RoleCredentialSource needs role_arn")
        self.role_arn: str = config.role_arn
        self.duration_seconds = config.session_duration
        self.args = assume_role_args(config)
        self._base = base
        self._sts_client = functools.partial(
            base.client, region_name=config.region_name, endpoint_url=config.endpoint_url, config=sts_config
        )
        self._fetcher: AssumeRoleCredentialFetcher | None = None
        self._hidden: set[str] = set()

    def _get_fetcher(self) -> AssumeRoleCredentialFetcher:
        # Built on first use so that missing base credentials surface from the first AWS call, as without a role.
        if self._fetcher is None:
            source = self._base.get_credentials()
            if source is None:
                raise NoCredentialsError()
            self._fetcher = AssumeRoleCredentialFetcher(
                client_creator=self._sts_client,
                source_credentials=source,
                role_arn=self.role_arn,
                extra_args=self.args,
                cache=_NoCache(),
            )
        return self._fetcher

    def __call__(self) -> dict[str, Any]:
        try:
            credentials: dict[str, Any] = self._get_fetcher().fetch_credentials()
        except ClientError as error:
            raise AssumeRoleError(error, self.role_arn, self.duration_seconds) from None
        for key in ("secret_key", "token"):
            value = credentials.get(key)
            if value and value not in self._hidden:
                self._hidden.add(value)
                add_to_secrets(value)
        return credentials


class RefreshFailureLogFilter(logging.Filter):
    """Keeps botocore's warnings about failed credential renewals readable.

    botocore logs each failed renewal with a full traceback. In the mandatory window (and on the first
    assumption) it then raises the error to the request, which the connector reports: the warning only repeats
    it and is dropped. In the advisory window (15 to 10 minutes before expiry) the current credentials stay in
    use and botocore tries again on every request: the warning is kept, with the cause on its one line
    (explained, for AssumeRole failures), at most once per `interval` seconds.
    """

    PREFIX = "Refreshing temporary credentials failed"

    def __init__(self, interval: float = 60.0) -> None:
        super().__init__()
        self.interval = interval
        self._last_seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if not text.startswith(self.PREFIX):
            return True
        if "mandatory" in text:
            return False
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            cause = explain_assume_role(error) if is_assume_role_error(error) else f"{type(error).__name__}: {error}"
            text = f"{text} {cause}"
        record.msg, record.args, record.exc_info, record.exc_text = text, None, None, None
        now = time.monotonic()
        with self._lock:
            last = self._last_seen.get(text)
            if last is not None and now - last < self.interval:
                return False
            self._last_seen[text] = now
        return True


REFRESH_FAILURE_LOG_FILTER = RefreshFailureLogFilter()


def attach_refreshable_credentials(
    session: botocore.session.Session, credentials: DeferredRefreshableCredentials
) -> None:
    """botocore has no public setter for a session's credential object, only for static keys.

    Setting the private `_credentials` is the one place this module relies on a botocore internal;
    unit_tests/test_aws.py and integration_tests/test_assume_role.py fail if botocore stops honouring it.
    """
    session._credentials = credentials


def make_session(
    config: CloudWatchLogsConfig,
    max_attempts: int = READ_MAX_ATTEMPTS,
    clock: Callable[[], datetime] | None = None,
) -> boto3.Session:
    """The session every client of a sync is built from; with `role_arn`, its credentials are the role's.

    The role's credentials are botocore's DeferredRefreshableCredentials fed by `RoleCredentialSource`: the
    first request assumes the role; botocore renews the credentials from 15 minutes before they expire
    (advisory: a failed renewal is logged and the current credentials stay in use) and, from 10 minutes
    before, blocks every request until renewed (mandatory: a failure is raised). Renewal happens under a
    lock, once for all threads, for as long as the sync runs, without rebuilding any client.

    `clock` replaces botocore's clock for deciding when to renew (tests).
    """
    base = _base_session(config)
    if not config.role_arn:
        return base
    source = RoleCredentialSource(base, config, client_config(max_attempts))
    logging.getLogger("botocore.credentials").addFilter(REFRESH_FAILURE_LOG_FILTER)  # adds it once
    if clock is None:
        credentials = DeferredRefreshableCredentials(method="assume-role", refresh_using=source)
    else:
        credentials = DeferredRefreshableCredentials(method="assume-role", refresh_using=source, time_fetcher=clock)
    role_session = botocore.session.get_session()
    attach_refreshable_credentials(role_session, credentials)
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
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def count(self, counter: Counter[str], operation: str) -> None:
        with self._lock:
            counter[operation] += 1

    def total(self, counter: Counter[str]) -> int:
        return sum(counter.values())


THROTTLING_CODES = {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
PACED_OPERATIONS = ("FilterLogEvents", "DescribeLogGroups")


def pace(client: Any, limiters: Mapping[str, RateLimiter], stats: ApiStats) -> None:
    """Hooks the limiters into botocore's per-attempt events, so retries are paced and counted too."""

    def before_sign(event_name: str, **_: Any) -> None:
        # Before signing, not before sending: a request that waited for its slot is signed with credentials
        # that are fresh when it leaves.
        limiter = limiters.get(event_name.rsplit(".", 1)[-1])
        if limiter is not None:
            limiter.acquire()

    def before_send(event_name: str, **_: Any) -> None:
        stats.count(stats.calls, event_name.rsplit(".", 1)[-1])

    def response_received(event_name: str, parsed_response: Any = None, exception: Any = None, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        code = (parsed_response or {}).get("Error", {}).get("Code") if isinstance(parsed_response, dict) else None
        if code in THROTTLING_CODES:
            stats.count(stats.throttles, operation)
        elif code or exception is not None:
            stats.count(stats.errors, operation)

    events = client.meta.events
    events.register("before-sign.cloudwatch-logs", before_sign)
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
        cls,
        config: CloudWatchLogsConfig,
        max_attempts: int = READ_MAX_ATTEMPTS,
        pool_size: int = 10,
        clock: Callable[[], datetime] | None = None,
    ) -> LogsApi:
        session = make_session(config, max_attempts, clock)
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
# sts:AssumeRole failures the user must fix: trust policy / ExternalId, duration or ARN, base keys, STS region.
ASSUME_ROLE_FIXABLE_CODES = CREDENTIAL_ERROR_CODES | {
    "AccessDenied",
    "ValidationError",
    "MalformedPolicyDocument",
    "RegionDisabledException",
}
MAX_SESSION_DURATION_MESSAGE = "DurationSeconds exceeds the MaxSessionDuration"
ROLE_CHAINING_MESSAGE = "session limit for roles assumed by role chaining"


def is_assume_role_error(error: BaseException) -> bool:
    return isinstance(error, ClientError) and error.operation_name == "AssumeRole"


def failure_type(error: BaseException) -> FailureType:
    """config_error when the user must change something (keys, role, permissions, names), else transient."""
    if is_assume_role_error(error):
        return FailureType.config_error if error_code(error) in ASSUME_ROLE_FIXABLE_CODES else FailureType.system_error
    if isinstance(error, NoCredentialsError | EndpointConnectionError | ProfileNotFound):
        return FailureType.config_error
    if error_code(error) in USER_FIXABLE_CODES:
        return FailureType.config_error
    return FailureType.system_error


def explain_assume_role(error: ClientError) -> str:
    """What went wrong with sts:AssumeRole, naming the role, and what to change."""
    code = error_code(error)
    message = error.response.get("Error", {}).get("Message") or str(error)
    role = getattr(error, "role_arn", None)
    duration = getattr(error, "duration_seconds", None)
    prefix = f"Could not assume role {role}" if role else "Could not assume the role in role_arn"
    if code in {"AccessDenied", "AccessDeniedException"}:
        return (
            f"{prefix}: AWS denied sts:AssumeRole ({message}). Check the role's trust policy: it must allow the "
            "principal of the base credentials to call sts:AssumeRole, and if it has an sts:ExternalId condition, "
            "role_external_id must equal that value exactly (leave role_external_id empty only if there is no such "
            "condition). The base principal's own IAM policy must also allow sts:AssumeRole on the role."
        )
    if code == "ValidationError" and MAX_SESSION_DURATION_MESSAGE in message:
        asked = f"session_duration ({duration} s)" if duration else "session_duration"
        return (
            f"{prefix}: {asked} is longer than the role's maximum session duration ({message}). Lower "
            "session_duration to at most the role's MaxSessionDuration (3600 s unless raised), or raise the role's "
            "maximum session duration in IAM."
        )
    if code == "ValidationError" and ROLE_CHAINING_MESSAGE in message:
        asked = f"session_duration ({duration} s)" if duration else "session_duration"
        return (
            f"{prefix}: {asked} is longer than 1 hour, the limit when the base credentials are themselves an "
            f"assumed role's (role chaining) ({message}). Set session_duration to 3600 or less, or use base "
            "credentials that do not come from an assumed role."
        )
    if code in CREDENTIAL_ERROR_CODES:
        return (
            f"{prefix}: AWS rejected the base credentials used to call sts:AssumeRole ({code}: {message}). Check "
            "aws_access_key_id, aws_secret_access_key and aws_session_token, or, when they are empty, the "
            "credentials of the default AWS credential chain."
        )
    if code == "RegionDisabledException":
        return f"{prefix}: {message} Activate STS in region_name's region (IAM > Account settings) or use another."
    return f"{prefix}: sts:AssumeRole failed with {code}: {message}"


def explain(error: BaseException, action: str, region: str, endpoint: str) -> str:
    """A message a user can act on, for an AWS failure of `action` (e.g. "logs:FilterLogEvents").

    AWS error messages name principals and resources, never credentials, so they are safe to quote.
    With role_arn set, the first call of `action` assumes the role first: its failures are explained as such.
    """
    code = error_code(error)
    if isinstance(error, NoCredentialsError):
        return (
            "No AWS credentials were found: set aws_access_key_id and aws_secret_access_key, "
            "or provide credentials through the default AWS credential chain."
        )
    if isinstance(error, ProfileNotFound):
        return (
            f"The AWS profile '{error.kwargs.get('profile')}' (AWS_PROFILE) is in neither the shared credentials "
            "nor the config file: fix AWS_PROFILE or those files, or set aws_access_key_id and aws_secret_access_key."
        )
    if isinstance(error, EndpointConnectionError):
        failed = str(error.kwargs.get("endpoint_url") or "")
        if urlparse(failed).netloc.startswith("sts."):
            return (
                f"Could not reach AWS STS at {failed} to assume role_arn: check that region_name "
                f"('{region}') is a real AWS region in which STS is reachable."
            )
        return (
            f"Could not reach CloudWatch Logs at {endpoint}: check that region_name "
            f"('{region}') is a real AWS region and endpoint_url, if set, is reachable."
        )
    if isinstance(error, ClientError):
        if is_assume_role_error(error):
            return explain_assume_role(error)
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
