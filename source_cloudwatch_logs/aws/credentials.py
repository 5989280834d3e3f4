"""The AWS session a sync's clients are built from: explicit keys or the default chain, and with `role_arn`,
role credentials from sts:AssumeRole that renew themselves for as long as the sync runs.

botocore sessions are not thread-safe: one is built per protocol call (check, discover, read) and only the
clients built from it are shared by the workers.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import (
    ClientError,
    NoCredentialsError,
)

from source_cloudwatch_logs.aws.errors import explain_assume_role, is_assume_role_error
from source_cloudwatch_logs.aws.settings import AwsSettings

SESSION_NAME_PREFIX = "airbyte-source-cloudwatch-logs-"


def role_session_name() -> str:
    """Readable, unique per sync, and within STS's rules (2-64 chars of [\\w+=,.@-])."""
    return SESSION_NAME_PREFIX + secrets.token_hex(4)


def _base_session(settings: AwsSettings) -> boto3.Session:
    """Explicit keys when given, else botocore's default credential chain."""
    keys: dict[str, str] = {}
    if settings.access_key_id and settings.secret_access_key:
        keys["aws_access_key_id"] = settings.access_key_id
        keys["aws_secret_access_key"] = settings.secret_access_key
        if settings.session_token:
            keys["aws_session_token"] = settings.session_token
    return boto3.Session(region_name=settings.region, **keys)


def assume_role_args(settings: AwsSettings, session_name: str | None = None) -> dict[str, Any]:
    """The AssumeRole parameters besides RoleArn; every renewal of one sync's session sends the same ones."""
    args: dict[str, Any] = {
        "RoleSessionName": session_name or role_session_name(),
        "DurationSeconds": settings.session_duration_s,
    }
    if settings.role_external_id:
        args["ExternalId"] = settings.role_external_id
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

    Every secret value it returns is handed to `settings.hide` (the connector's secret filter), once, so that no
    log line can show it.
    """

    def __init__(self, base: boto3.Session, settings: AwsSettings, sts_config: Config) -> None:
        if not settings.role_arn:
            raise ValueError("RoleCredentialSource needs role_arn")
        self.role_arn: str = settings.role_arn
        self.duration_seconds = settings.session_duration_s
        self.args = assume_role_args(settings)
        self._base = base
        self._hide = settings.hide
        self._sts_client = functools.partial(
            base.client, region_name=settings.region, endpoint_url=settings.sts_endpoint_url, config=sts_config
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
                self._hide(value)
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
    unit_tests/aws/test_credentials.py and integration_tests/test_assume_role.py fail if botocore stops honouring it.
    """
    session._credentials = credentials


def make_session(
    settings: AwsSettings, *, sts_config: Config, clock: Callable[[], datetime] | None = None
) -> boto3.Session:
    """The session every client of a sync is built from; with `role_arn`, its credentials are the role's.

    The role's credentials are botocore's DeferredRefreshableCredentials fed by `RoleCredentialSource`: the
    first request assumes the role; botocore renews the credentials from 15 minutes before they expire
    (advisory: a failed renewal is logged and the current credentials stay in use) and, from 10 minutes
    before, blocks every request until renewed (mandatory: a failure is raised). Renewal happens under a
    lock, once for all threads, for as long as the sync runs, without rebuilding any client.

    STS is reached at `sts_endpoint_url`, else where botocore resolves it (the regional endpoint, or
    `AWS_ENDPOINT_URL_STS`), never at the CloudWatch Logs `endpoint_url`. `sts_config` is the STS client's
    botocore config (retries, timeouts); `clock` replaces botocore's clock for deciding when to renew (tests).
    """
    base = _base_session(settings)
    if not settings.role_arn:
        return base
    source = RoleCredentialSource(base, settings, sts_config)
    logging.getLogger("botocore.credentials").addFilter(REFRESH_FAILURE_LOG_FILTER)  # adds it once
    if clock is None:
        credentials = DeferredRefreshableCredentials(method="assume-role", refresh_using=source)
    else:
        credentials = DeferredRefreshableCredentials(method="assume-role", refresh_using=source, time_fetcher=clock)
    role_session = botocore.session.get_session()
    attach_refreshable_credentials(role_session, credentials)
    return boto3.Session(botocore_session=role_session, region_name=settings.region)
