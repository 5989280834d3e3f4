"""Role assumption without a network: AssumeRole arguments, the STS client's endpoint, and botocore's refresh
behaviour as the connector relies on it.

Where STS is needed, `RoleCredentialSource.__call__` is replaced by a scripted stand-in that returns
credentials (or raises) on a controllable clock; the HTTP path is covered by integration_tests/test_assume_role.py.
"""

from __future__ import annotations

import logging
import pickle
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.session
import pytest
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from botocore.credentials import DeferredRefreshableCredentials
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from source_cloudwatch_logs.aws import credentials
from source_cloudwatch_logs.aws.client import client_config
from source_cloudwatch_logs.aws.credentials import (
    AssumeRoleError,
    RefreshFailureLogFilter,
    RoleCredentialSource,
    assume_role_args,
    attach_refreshable_credentials,
    make_session,
    role_session_name,
)
from source_cloudwatch_logs.aws.settings import AwsSettings
from unit_tests.aws.test_errors import EXPLAINED
from unit_tests.conftest import BASE_CONFIG, DENIED, ROLE, role_error, settings_of, sts_error

SESSION_NAME_RULE = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)  # STS's RoleSessionName constraint


LOGGER = logging.getLogger("test")
STS_CONFIG = client_config(2)


def test_role_session_names_are_readable_unique_and_within_sts_rules() -> None:
    names = {role_session_name() for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert re.fullmatch(r"airbyte-source-cloudwatch-logs-[0-9a-f]{8}", name), name
        assert SESSION_NAME_RULE.fullmatch(name), name


def test_assume_role_args_carry_duration_external_id_and_session_name() -> None:
    config = settings_of({**BASE_CONFIG, "role_arn": ROLE, "role_external_id": "ext-42", "session_duration": 7200})
    assert assume_role_args(config, "airbyte-source-cloudwatch-logs-0badcafe") == {
        "RoleSessionName": "airbyte-source-cloudwatch-logs-0badcafe",
        "DurationSeconds": 7200,
        "ExternalId": "ext-42",
    }
    without = assume_role_args(settings_of({**BASE_CONFIG, "role_arn": ROLE}))
    assert set(without) == {"RoleSessionName", "DurationSeconds"}
    assert without["DurationSeconds"] == 3600
    assert SESSION_NAME_RULE.fullmatch(without["RoleSessionName"])


def test_a_role_source_is_only_built_for_a_role() -> None:
    with pytest.raises(ValueError, match="needs role_arn"):
        RoleCredentialSource(boto3.Session(), settings_of(BASE_CONFIG), client_config(2))


def test_assume_role_error_is_still_the_botocore_error() -> None:
    original = sts_error("AccessDenied", DENIED)
    error = AssumeRoleError(original, ROLE, 3600)
    assert isinstance(error, ClientError)
    assert (error.operation_name, error.response, str(error)) == ("AssumeRole", original.response, str(original))
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.role_arn, copy.duration_seconds, str(copy)) == (AssumeRoleError, ROLE, 3600, str(error))


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class ScriptedSts:
    """Stands in for RoleCredentialSource.__call__: credentials #n valid for an hour from the clock, or an error."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.calls = 0
        self.fail_with: Exception | None = None

    def __call__(self, source: RoleCredentialSource) -> dict[str, Any]:
        self.calls += 1
        if self.fail_with is not None:
            raise self.fail_with
        return {
            "access_key": f"TEMP{self.calls:016d}",
            "secret_key": f"secret-{self.calls}",
            "token": f"token-{self.calls}",
            "expiry_time": (self.clock.now + timedelta(hours=1)).isoformat(),
        }


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sts(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> ScriptedSts:
    scripted = ScriptedSts(clock)
    monkeypatch.setattr(RoleCredentialSource, "__call__", lambda source: scripted(source))
    return scripted


def test_refresh_windows_are_the_ones_the_connector_relies_on(clock: Clock, sts: ScriptedSts) -> None:
    """Fails if botocore changes its advisory (15 min) or mandatory (10 min) refresh window, or stops
    keeping the current credentials when an advisory refresh fails."""
    credentials = make_session(
        settings_of({**BASE_CONFIG, "role_arn": ROLE}), sts_config=STS_CONFIG, clock=clock
    ).get_credentials()
    start = clock.now

    def key_at(offset: timedelta) -> str:
        clock.now = start + offset
        return str(credentials.get_frozen_credentials().access_key)

    assert (key_at(timedelta(0)), sts.calls) == ("TEMP0000000000000001", 1)  # assumed on first use
    assert (key_at(timedelta(minutes=45)), sts.calls) == ("TEMP0000000000000001", 1)  # exactly 15 min left
    assert (key_at(timedelta(minutes=45, seconds=1)), sts.calls) == ("TEMP0000000000000002", 2)  # advisory

    renewed = start + timedelta(minutes=45, seconds=1)  # credentials #2 expire an hour after this
    sts.fail_with = role_error("AccessDenied", DENIED)
    assert (key_at(renewed - start + timedelta(minutes=45, seconds=1)), sts.calls) == ("TEMP0000000000000002", 3)
    assert (key_at(renewed - start + timedelta(minutes=50)), sts.calls) == ("TEMP0000000000000002", 4)
    with pytest.raises(AssumeRoleError):  # inside the last 10 minutes a failure is raised
        key_at(renewed - start + timedelta(minutes=50, seconds=1))
    assert sts.calls == 5

    sts.fail_with = None
    assert (key_at(renewed - start + timedelta(minutes=50, seconds=1)), sts.calls) == ("TEMP0000000000000006", 6)
    assert (key_at(timedelta(days=3)), sts.calls) == ("TEMP0000000000000007", 7)  # long expired: renewed too


def test_the_session_and_its_clients_use_the_attached_credentials(clock: Clock, sts: ScriptedSts) -> None:
    session = make_session(settings_of({**BASE_CONFIG, "role_arn": ROLE}), sts_config=STS_CONFIG, clock=clock)
    credentials = session.get_credentials()
    assert isinstance(credentials, DeferredRefreshableCredentials)
    assert credentials.method == "assume-role"
    assert sts.calls == 0  # nothing is assumed before the first request

    session.client("logs", region_name="us-east-1")
    assert sts.calls == 0  # nor when a client is built (signing with them is checked over HTTP)


def test_attach_refreshable_credentials_is_honoured_by_botocore() -> None:
    credentials = DeferredRefreshableCredentials(refresh_using=lambda: {}, method="assume-role")
    session = botocore.session.get_session()
    attach_refreshable_credentials(session, credentials)
    assert session.get_credentials() is credentials
    assert boto3.Session(botocore_session=session).get_credentials() is credentials


def test_missing_base_credentials_surface_on_first_use(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)
    session = make_session(
        settings_of({"region_name": "us-east-1", "role_arn": ROLE}), sts_config=STS_CONFIG
    )  # does not raise
    with pytest.raises(NoCredentialsError):
        session.get_credentials().get_frozen_credentials()


def test_role_credentials_are_registered_with_the_secret_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    issued = {"access_key": "ASIAFRESH", "secret_key": "role-secret-7f3a", "token": "role-token-9c1d"}
    config: AwsSettings = settings_of({**BASE_CONFIG, "role_arn": ROLE})
    source = RoleCredentialSource(boto3.Session(), config, client_config(2))

    class Fetcher:
        def fetch_credentials(self) -> dict[str, str]:
            return dict(issued, expiry_time="2030-01-01T00:00:00Z")

    monkeypatch.setattr(source, "_get_fetcher", lambda: Fetcher())
    assert filter_secrets("role-secret-7f3a role-token-9c1d") == "role-secret-7f3a role-token-9c1d"
    source()
    assert filter_secrets("key role-secret-7f3a, token role-token-9c1d, id ASIAFRESH") == (
        "key ****, token ****, id ASIAFRESH"
    )


def test_sts_client_errors_come_out_as_assume_role_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    config = settings_of({**BASE_CONFIG, "role_arn": ROLE, "session_duration": 5400})
    source = RoleCredentialSource(boto3.Session(), config, client_config(2))

    class Fetcher:
        def fetch_credentials(self) -> dict[str, str]:
            raise sts_error("AccessDenied", DENIED)

    monkeypatch.setattr(source, "_get_fetcher", lambda: Fetcher())
    with pytest.raises(AssumeRoleError) as raised:
        source()
    assert (raised.value.role_arn, raised.value.duration_seconds) == (ROLE, 5400)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


def refresh_warning(period: str, error: Exception | None) -> logging.LogRecord:
    exc_info = (type(error), error, None) if error is not None else None
    return logging.LogRecord(
        "botocore.credentials",
        logging.WARNING,
        __file__,
        1,
        "Refreshing temporary credentials failed during %s refresh period.",
        (period,),
        exc_info,  # type: ignore[arg-type]
    )


def test_advisory_renewal_failures_are_one_explained_line_at_most_once_per_interval() -> None:
    log_filter = RefreshFailureLogFilter(interval=3600)
    denied = role_error("AccessDenied", DENIED)
    record = refresh_warning("advisory", denied)

    assert log_filter.filter(record) is True
    assert record.getMessage() == (
        "Refreshing temporary credentials failed during advisory refresh period. "
        + EXPLAINED["trust policy or ExternalId"][1]
    )
    assert (record.exc_info, record.exc_text) == (None, None)
    assert log_filter.filter(refresh_warning("advisory", denied)) is False  # the same line again: dropped
    other = refresh_warning("advisory", EndpointConnectionError(endpoint_url="https://sts.example/"))
    assert log_filter.filter(other) is True
    assert other.getMessage() == (
        "Refreshing temporary credentials failed during advisory refresh period. "
        'EndpointConnectionError: Could not connect to the endpoint URL: "https://sts.example/"'
    )


def test_mandatory_renewal_failures_are_left_to_the_error_they_raise() -> None:
    assert RefreshFailureLogFilter().filter(refresh_warning("mandatory", role_error("AccessDenied", DENIED))) is False


def test_other_botocore_warnings_pass_unchanged() -> None:
    record = logging.LogRecord("botocore.credentials", logging.WARNING, __file__, 1, "Something %s", ("else",), None)
    assert RefreshFailureLogFilter(interval=0).filter(record) is True
    assert (record.msg, record.args) == ("Something %s", ("else",))


def test_the_filter_is_installed_once_with_a_role(clock: Clock) -> None:
    botocore_logger = logging.getLogger("botocore.credentials")
    config = settings_of({**BASE_CONFIG, "role_arn": ROLE})
    make_session(config, sts_config=STS_CONFIG, clock=clock)
    make_session(config, sts_config=STS_CONFIG, clock=clock)
    assert botocore_logger.filters.count(credentials.REFRESH_FAILURE_LOG_FILTER) == 1


def test_sts_is_reached_at_sts_endpoint_url_never_at_the_logs_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL_STS", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    logs_vpce = "https://vpce-1.logs.eu-west-1.vpce.amazonaws.com"
    config = settings_of({**BASE_CONFIG, "region_name": "eu-west-1", "role_arn": ROLE, "endpoint_url": logs_vpce})
    default = RoleCredentialSource(boto3.Session(), config, STS_CONFIG)._sts_client("sts")
    assert default.meta.endpoint_url == "https://sts.eu-west-1.amazonaws.com"

    sts_vpce = "https://vpce-2.sts.eu-west-1.vpce.amazonaws.com"
    config = settings_of({**BASE_CONFIG, "role_arn": ROLE, "endpoint_url": logs_vpce, "sts_endpoint_url": sts_vpce})
    assert RoleCredentialSource(boto3.Session(), config, STS_CONFIG)._sts_client("sts").meta.endpoint_url == sts_vpce

    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")
    config = settings_of({**BASE_CONFIG, "role_arn": ROLE, "endpoint_url": logs_vpce})
    assert RoleCredentialSource(boto3.Session(), config, STS_CONFIG)._sts_client("sts").meta.endpoint_url == (
        "http://127.0.0.1:9"
    )
