"""Role assumption without a network: config validation of the role fields, AssumeRole arguments, the
explanation of every STS failure, and botocore's refresh behaviour as the connector relies on it.

Where STS is needed, `RoleCredentialSource.__call__` is replaced by a scripted stand-in that returns
credentials (or raises) on a controllable clock; the HTTP path is covered by integration_tests/test_assume_role.py.
"""

from __future__ import annotations

import logging
import pickle
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.session
import pytest
from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.utils.airbyte_secrets_utils import filter_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from botocore.credentials import DeferredRefreshableCredentials
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, ProfileNotFound

from source_cloudwatch_logs import aws
from source_cloudwatch_logs.aws import (
    AssumeRoleError,
    RefreshFailureLogFilter,
    RoleCredentialSource,
    assume_role_args,
    attach_refreshable_credentials,
    make_session,
    role_session_name,
)
from source_cloudwatch_logs.errors import explain, failure_type
from source_cloudwatch_logs.source import SourceCloudwatchLogs
from source_cloudwatch_logs.spec import CloudWatchLogsConfig, connection_specification, parse_config

ROLE = "arn:aws:iam::210987654321:role/cloudwatch-reader"
BASE = {"region_name": "us-east-1", "aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "not-a-real-secret"}
SESSION_NAME_RULE = re.compile(r"[\w+=,.@-]{2,64}", re.ASCII)  # STS's RoleSessionName constraint
LOGGER = logging.getLogger("test")

DENIED = (
    "User: arn:aws:iam::123456789012:user/etl is not authorized to perform: sts:AssumeRole on resource: "
    "arn:aws:iam::210987654321:role/cloudwatch-reader"
)
TOO_LONG = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
INVALID_TOKEN = "The security token included in the request is invalid."
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details."
)


def sts_error(code: str, message: str, operation: str = "AssumeRole") -> ClientError:
    return ClientError({"Error": {"Type": "Sender", "Code": code, "Message": message}}, operation)


def role_error(code: str, message: str, duration: int = 7200) -> AssumeRoleError:
    return AssumeRoleError(sts_error(code, message), ROLE, duration)


# ----- config validation of the role fields ------------------------------------------------------------------


@pytest.mark.parametrize(
    "role_arn",
    [
        "arn:aws:iam::123456789012:role/reader",
        "arn:aws:iam::123456789012:role/team/etl/reader+x=y,z.a@b-c_d",
        "arn:aws-cn:iam::123456789012:role/reader",
        "arn:aws-us-gov:iam::123456789012:role/reader",
    ],
)
def test_role_arns_that_are_accepted(role_arn: str) -> None:
    assert parse_config({**BASE, "role_arn": role_arn}).role_arn == role_arn


@pytest.mark.parametrize(
    "role_arn",
    [
        "arn:aws:iam::123456789012:user/reader",
        "arn:aws:iam::12345678901:role/reader",
        "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::123456789012:role/has space",
        "arn:aws:iam::123456789012:role/rôle",
        "arn:aws:iam::123456789012:role/reader\n",
        "arn:aws:sts::123456789012:assumed-role/reader/session",
        "reader",
    ],
)
def test_role_arns_that_are_refused(role_arn: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config({**BASE, "role_arn": role_arn})
    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message == (
        "Invalid configuration: `role_arn` must look like arn:aws:iam::123456789012:role/role-name."
    )


@pytest.mark.parametrize("external_id", ["ab", "Ext+=,.@:/-_id1", "x" * 1224])
def test_external_ids_that_are_accepted(external_id: str) -> None:
    assert parse_config({**BASE, "role_arn": ROLE, "role_external_id": external_id}).role_external_id == external_id


@pytest.mark.parametrize("external_id", ["x", "x" * 1225, "has space", "ünïcode", "semi;colon"])
def test_external_ids_that_are_refused(external_id: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config({**BASE, "role_arn": ROLE, "role_external_id": external_id})
    assert raised.value.message == (
        "Invalid configuration: `role_external_id` must be 2 to 1224 characters of letters, digits and +=,.@:/-_."
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_role_fields_are_unset(blank: str) -> None:
    config = parse_config({**BASE, "role_arn": blank, "role_external_id": blank})
    assert (config.role_arn, config.role_external_id) == (None, None)
    assert make_session(config).get_credentials().method == "explicit"  # no role: the keys themselves


@pytest.mark.parametrize(("given", "expected"), [(None, 3600), (900, 900), (43200, 43200), (7200, 7200)])
def test_session_durations_that_are_accepted(given: int | None, expected: int) -> None:
    raw = {**BASE, "role_arn": ROLE} if given is None else {**BASE, "role_arn": ROLE, "session_duration": given}
    assert parse_config(raw).session_duration == expected


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (899, "Input should be greater than or equal to 900"),
        (43201, "Input should be less than or equal to 43200"),
        (3600.5, "Input should be a valid integer, got a number with a fractional part"),
        ("an hour", "Input should be a valid integer, unable to parse string as an integer"),
        (None, "Input should be a valid integer"),
    ],
)
def test_session_durations_that_are_refused(given: Any, problem: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config({**BASE, "role_arn": ROLE, "session_duration": given})
    assert raised.value.message == f"Invalid configuration: `session_duration` {problem}."


def test_spec_renders_the_role_fields_and_keeps_secrets_out_of_examples() -> None:
    properties = connection_specification()["properties"]
    duration = properties["session_duration"]
    assert (duration["type"], duration["minimum"], duration["maximum"], duration["default"]) == (
        "integer",
        900,
        43200,
        3600,
    )
    assert properties["role_arn"]["type"] == properties["role_external_id"]["type"] == "string"
    secret_fields = {name for name, prop in properties.items() if prop.get("airbyte_secret")}
    assert secret_fields == {"aws_access_key_id", "aws_secret_access_key", "aws_session_token"}
    for name in secret_fields:
        assert not {"examples", "default", "const", "enum"} & set(properties[name]), name


# ----- AssumeRole arguments ------------------------------------------------------------------------------


def test_role_session_names_are_readable_unique_and_within_sts_rules() -> None:
    names = {role_session_name() for _ in range(50)}
    assert len(names) == 50
    for name in names:
        assert re.fullmatch(r"airbyte-source-cloudwatch-logs-[0-9a-f]{8}", name), name
        assert SESSION_NAME_RULE.fullmatch(name), name


def test_assume_role_args_carry_duration_external_id_and_session_name() -> None:
    config = parse_config({**BASE, "role_arn": ROLE, "role_external_id": "ext-42", "session_duration": 7200})
    assert assume_role_args(config, "airbyte-source-cloudwatch-logs-0badcafe") == {
        "RoleSessionName": "airbyte-source-cloudwatch-logs-0badcafe",
        "DurationSeconds": 7200,
        "ExternalId": "ext-42",
    }
    without = assume_role_args(parse_config({**BASE, "role_arn": ROLE}))
    assert set(without) == {"RoleSessionName", "DurationSeconds"}
    assert without["DurationSeconds"] == 3600
    assert SESSION_NAME_RULE.fullmatch(without["RoleSessionName"])


def test_a_role_source_is_only_built_for_a_role() -> None:
    with pytest.raises(ValueError, match="needs role_arn"):
        RoleCredentialSource(boto3.Session(), parse_config(BASE), aws.client_config(2))


# ----- explaining STS failures ---------------------------------------------------------------------------


EXPLAINED = {
    "trust policy or ExternalId": (
        role_error("AccessDenied", DENIED),
        f"Could not assume role {ROLE}: AWS denied sts:AssumeRole ({DENIED}). Check the role's trust policy: it "
        "must allow the principal of the base credentials to call sts:AssumeRole, and if it has an sts:ExternalId "
        "condition, role_external_id must equal that value exactly (leave role_external_id empty only if there is "
        "no such condition). The base principal's own IAM policy must also allow sts:AssumeRole on the role.",
        FailureType.config_error,
    ),
    "duration above the role's maximum": (
        role_error("ValidationError", TOO_LONG, duration=7200),
        f"Could not assume role {ROLE}: session_duration (7200 s) is longer than the role's maximum session "
        f"duration ({TOO_LONG}). Lower session_duration to at most the role's MaxSessionDuration (3600 s unless "
        "raised), or raise the role's maximum session duration in IAM.",
        FailureType.config_error,
    ),
    "duration above the role chaining limit": (
        role_error(
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            duration=7200,
        ),
        f"Could not assume role {ROLE}: session_duration (7200 s) is longer than 1 hour, the limit when the base "
        "credentials are themselves an assumed role's (role chaining) (The requested DurationSeconds exceeds the 1 "
        "hour session limit for roles assumed by role chaining.). Set session_duration to 3600 or less, or use base "
        "credentials that do not come from an assumed role.",
        FailureType.config_error,
    ),
    "unknown base key": (
        role_error("InvalidClientTokenId", INVALID_TOKEN),
        f"Could not assume role {ROLE}: AWS rejected the base credentials used to call sts:AssumeRole "
        f"(InvalidClientTokenId: {INVALID_TOKEN}). Check aws_access_key_id, aws_secret_access_key and "
        "aws_session_token, or, when they are empty, the credentials of the default AWS credential chain.",
        FailureType.config_error,
    ),
    "wrong base secret": (
        role_error("SignatureDoesNotMatch", BAD_SIGNATURE),
        f"Could not assume role {ROLE}: AWS rejected the base credentials used to call sts:AssumeRole "
        f"(SignatureDoesNotMatch: {BAD_SIGNATURE}). Check aws_access_key_id, aws_secret_access_key and "
        "aws_session_token, or, when they are empty, the credentials of the default AWS credential chain.",
        FailureType.config_error,
    ),
    "expired base session token": (
        role_error("ExpiredToken", "The security token included in the request is expired"),
        f"Could not assume role {ROLE}: AWS rejected the base credentials used to call sts:AssumeRole "
        "(ExpiredToken: The security token included in the request is expired). Check aws_access_key_id, "
        "aws_secret_access_key and aws_session_token, or, when they are empty, the credentials of the default AWS "
        "credential chain.",
        FailureType.config_error,
    ),
    "STS off in the region": (
        role_error("RegionDisabledException", "STS is not activated in this region for account:123456789012."),
        f"Could not assume role {ROLE}: STS is not activated in this region for account:123456789012. Activate "
        "STS in region_name's region (IAM > Account settings) or use another.",
        FailureType.config_error,
    ),
    "other validation error": (
        role_error("ValidationError", "1 validation error detected: Value 'x' at 'roleArn' failed"),
        f"Could not assume role {ROLE}: sts:AssumeRole failed with ValidationError: 1 validation error detected: "
        "Value 'x' at 'roleArn' failed",
        FailureType.config_error,
    ),
    "throttled": (
        role_error("Throttling", "Rate exceeded"),
        f"Could not assume role {ROLE}: sts:AssumeRole failed with Throttling: Rate exceeded",
        FailureType.system_error,
    ),
    "plain botocore error, role unknown": (
        sts_error("AccessDenied", DENIED),
        f"Could not assume the role in role_arn: AWS denied sts:AssumeRole ({DENIED}). Check the role's trust "
        "policy: it must allow the principal of the base credentials to call sts:AssumeRole, and if it has an "
        "sts:ExternalId condition, role_external_id must equal that value exactly (leave role_external_id empty "
        "only if there is no such condition). The base principal's own IAM policy must also allow sts:AssumeRole "
        "on the role.",
        FailureType.config_error,
    ),
}


@pytest.mark.parametrize("case", list(EXPLAINED))
def test_sts_failures_are_explained_with_the_role(case: str) -> None:
    error, message, kind = EXPLAINED[case]
    for action in ("logs:DescribeLogGroups", "logs:FilterLogEvents"):  # whichever call assumed the role first
        assert explain(error, action, "us-east-1", "https://logs.us-east-1.amazonaws.com") == message
    assert failure_type(error) == kind


def test_logs_failures_keep_their_own_explanation() -> None:
    denied = sts_error("AccessDeniedException", "no", operation="FilterLogEvents")
    assert explain(denied, "logs:FilterLogEvents", "us-east-1", "x") == (
        "Permission denied: the credentials are not allowed logs:FilterLogEvents (no). Grant logs:FilterLogEvents."
    )
    assert failure_type(sts_error("ValidationError", "x", operation="FilterLogEvents")) == FailureType.system_error


def test_unreachable_sts_and_logs_endpoints_are_told_apart() -> None:
    sts = EndpointConnectionError(endpoint_url="https://sts.xx-nowhere-9.amazonaws.com/")
    logs = EndpointConnectionError(endpoint_url="https://logs.xx-nowhere-9.amazonaws.com/")
    endpoint = "https://logs.xx-nowhere-9.amazonaws.com"
    assert explain(sts, "logs:DescribeLogGroups", "xx-nowhere-9", endpoint) == (
        "Could not reach AWS STS at https://sts.xx-nowhere-9.amazonaws.com/ to assume role_arn: check that "
        "region_name ('xx-nowhere-9') is a real AWS region in which STS is reachable."
    )
    assert explain(logs, "logs:DescribeLogGroups", "xx-nowhere-9", endpoint) == (
        f"Could not reach CloudWatch Logs at {endpoint}: check that region_name ('xx-nowhere-9') is a real AWS "
        "region and endpoint_url, if set, is reachable."
    )
    assert failure_type(sts) == failure_type(logs) == FailureType.config_error


def test_a_missing_profile_is_a_config_error() -> None:
    error = ProfileNotFound(profile="reader")
    assert explain(error, "logs:DescribeLogGroups", "us-east-1", "x") == (
        "The AWS profile 'reader' (AWS_PROFILE) is in neither the shared credentials nor the config file: fix "
        "AWS_PROFILE or those files, or set aws_access_key_id and aws_secret_access_key."
    )
    assert failure_type(error) == FailureType.config_error


def test_discover_reports_a_missing_profile_as_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    with pytest.raises(AirbyteTracedException) as raised:
        SourceCloudwatchLogs().discover(LOGGER, {"region_name": "us-east-1", "role_arn": ROLE})
    assert raised.value.failure_type == FailureType.config_error
    assert str(raised.value.message).startswith("The AWS profile 'no-such-profile' (AWS_PROFILE) is in neither")


def test_assume_role_error_is_still_the_botocore_error() -> None:
    original = sts_error("AccessDenied", DENIED)
    error = AssumeRoleError(original, ROLE, 3600)
    assert isinstance(error, ClientError)
    assert (error.operation_name, error.response, str(error)) == ("AssumeRole", original.response, str(original))
    copy = pickle.loads(pickle.dumps(error))
    assert (type(copy), copy.role_arn, copy.duration_seconds, str(copy)) == (AssumeRoleError, ROLE, 3600, str(error))


class FailingApi:
    """A LogsApi whose first call fails the way a role that cannot be assumed fails."""

    region = "us-east-1"
    endpoint = "https://logs.us-east-1.amazonaws.com"

    def __init__(self, error: Exception) -> None:
        self.error = error

    def log_groups(self, prefix: str | None = None) -> Iterator[dict[str, Any]]:
        raise self.error
        yield {}  # pragma: no cover


@pytest.mark.parametrize("case", ["trust policy or ExternalId", "duration above the role's maximum"])
def test_check_discover_and_read_report_the_same_role_message(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    error, message, _ = EXPLAINED[case]
    monkeypatch.setattr(aws.LogsApi, "connect", classmethod(lambda cls, *args, **kwargs: FailingApi(error)))
    config = {**BASE, "role_arn": ROLE, "session_duration": 7200}
    source = SourceCloudwatchLogs()

    status = source.check(LOGGER, config)
    assert (status.status, status.message) == (Status.FAILED, message)
    with pytest.raises(AirbyteTracedException) as discovered:
        source.discover(LOGGER, config)
    with pytest.raises(AirbyteTracedException) as read:
        list(source.read(LOGGER, config, catalog=None, state=None))  # type: ignore[arg-type]
    for raised in (discovered.value, read.value):
        assert (raised.message, raised.failure_type) == (message, FailureType.config_error)
        assert raised.internal_message == "logs:DescribeLogGroups: AssumeRoleError " + error_code_of(error)
        assert "not-a-real-secret" not in str(raised.internal_message)


def error_code_of(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


# ----- refreshable credentials, as botocore implements them ----------------------------------------------


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
    credentials = make_session(parse_config({**BASE, "role_arn": ROLE}), clock=clock).get_credentials()
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
    session = make_session(parse_config({**BASE, "role_arn": ROLE}), clock=clock)
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
    session = make_session(parse_config({"region_name": "us-east-1", "role_arn": ROLE}))  # does not raise
    with pytest.raises(NoCredentialsError):
        session.get_credentials().get_frozen_credentials()


def test_role_credentials_are_registered_with_the_secret_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    issued = {"access_key": "ASIAFRESH", "secret_key": "role-secret-7f3a", "token": "role-token-9c1d"}
    config: CloudWatchLogsConfig = parse_config({**BASE, "role_arn": ROLE})
    source = RoleCredentialSource(boto3.Session(), config, aws.client_config(2))

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
    config = parse_config({**BASE, "role_arn": ROLE, "session_duration": 5400})
    source = RoleCredentialSource(boto3.Session(), config, aws.client_config(2))

    class Fetcher:
        def fetch_credentials(self) -> dict[str, str]:
            raise sts_error("AccessDenied", DENIED)

    monkeypatch.setattr(source, "_get_fetcher", lambda: Fetcher())
    with pytest.raises(AssumeRoleError) as raised:
        source()
    assert (raised.value.role_arn, raised.value.duration_seconds) == (ROLE, 5400)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


# ----- botocore's warnings about failed renewals ---------------------------------------------------------


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
    config = parse_config({**BASE, "role_arn": ROLE})
    make_session(config, clock=clock)
    make_session(config, clock=clock)
    assert botocore_logger.filters.count(aws.REFRESH_FAILURE_LOG_FILTER) == 1
