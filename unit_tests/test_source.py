"""check/discover error wording for failures moto cannot produce (it accepts any keys). Faked with
botocore's Stubber on the real client: the error shapes are the ones AWS returns."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from airbyte_cdk.models import (
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStream,
    DestinationSyncMode,
    FailureType,
    Status,
    SyncMode,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from source_cloudwatch_logs import check, plan, source
from source_cloudwatch_logs.aws.client import LogsClient, connect
from source_cloudwatch_logs.records import catalog_stream
from source_cloudwatch_logs.source import SourceCloudwatchLogs
from source_cloudwatch_logs.spec import aws_settings, parse_config
from unit_tests.aws.test_errors import EXPLAINED
from unit_tests.conftest import BASE_CONFIG, ROLE, stub_logs

LOGGER = logging.getLogger("test")


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    logs = connect(aws_settings(parse_config(BASE_CONFIG)))
    stubber = Stubber(logs.client)
    use_client(monkeypatch, lambda: logs)
    with stubber:
        yield stubber


def test_check_explains_rejected_keys(stub: Stubber) -> None:
    stub.add_client_error(
        "list_log_groups",
        service_error_code="UnrecognizedClientException",
        service_message="The security token included in the request is invalid.",
        http_status_code=400,
    )  # refused too: listing falls back to DescribeLogGroups, whose error is the one told
    stub.add_client_error(
        "describe_log_groups",
        service_error_code="UnrecognizedClientException",
        service_message="The security token included in the request is invalid.",
        http_status_code=400,
    )
    status = SourceCloudwatchLogs().check(LOGGER, BASE_CONFIG)
    assert status.status == Status.FAILED
    assert status.message == (
        "AWS rejected the credentials (UnrecognizedClientException: The security token included in the request is "
        "invalid.). Check aws_access_key_id, aws_secret_access_key and aws_session_token."
    )


def test_check_names_the_missing_list_permission(stub: Stubber) -> None:
    denial = (
        "User: arn:aws:iam::123456789012:user/etl is not authorized to perform: logs:DescribeLogGroups on resource: "
        "arn:aws:logs:us-east-1:123456789012:log-group::log-stream: because no identity-based policy allows it"
    )
    stub.add_client_error("list_log_groups", service_error_code="AccessDeniedException", service_message="no list")
    stub.add_client_error("describe_log_groups", service_error_code="AccessDeniedException", service_message=denial)
    status = SourceCloudwatchLogs().check(LOGGER, BASE_CONFIG)
    assert status.status == Status.FAILED
    assert status.message == (
        f"Permission denied: the credentials are not allowed logs:DescribeLogGroups ({denial}). "
        "Grant logs:DescribeLogGroups."
    )


def test_discover_failure_is_a_config_error_with_the_same_words(stub: Stubber) -> None:
    stub.add_client_error("list_log_groups", service_error_code="AccessDeniedException", service_message="no list")
    stub.add_client_error("describe_log_groups", service_error_code="AccessDeniedException", service_message="denied")
    with pytest.raises(AirbyteTracedException) as raised:
        SourceCloudwatchLogs().discover(LOGGER, BASE_CONFIG)
    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message == (
        "Permission denied: the credentials are not allowed logs:DescribeLogGroups (denied). "
        "Grant logs:DescribeLogGroups."
    )
    assert "not-a-real-secret" not in str(raised.value.internal_message)


def test_throttling_is_a_transient_failure(stub: Stubber) -> None:
    stub.add_client_error("list_log_groups", service_error_code="ThrottlingException", service_message="Rate exceeded")
    stub.add_client_error(
        "describe_log_groups", service_error_code="ThrottlingException", service_message="Rate exceeded"
    )
    with pytest.raises(AirbyteTracedException) as raised:
        SourceCloudwatchLogs().discover(LOGGER, BASE_CONFIG)
    assert raised.value.failure_type == FailureType.system_error
    assert raised.value.message == "logs:DescribeLogGroups failed with ThrottlingException: Rate exceeded"


def test_discover_reports_a_missing_profile_as_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    with pytest.raises(AirbyteTracedException) as raised:
        SourceCloudwatchLogs().discover(LOGGER, {"region_name": "us-east-1", "role_arn": ROLE})
    assert raised.value.failure_type == FailureType.config_error
    assert str(raised.value.message).startswith("The AWS profile 'no-such-profile' (AWS_PROFILE) is in neither")


def use_client(monkeypatch: pytest.MonkeyPatch, make: Callable[[], LogsClient]) -> None:
    """Every protocol call gets the client `make` builds instead of connecting."""
    for module in (source, plan, check):
        monkeypatch.setattr(module, "connect", lambda *args, **kwargs: make())


@pytest.mark.parametrize("case", ["trust policy or ExternalId", "duration above the role's maximum"])
def test_check_discover_and_read_report_the_same_role_message(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    error, message, _ = EXPLAINED[case]
    use_client(monkeypatch, lambda: stub_logs(groups=[error])[0])  # the first call fails as the role's would
    config = {**BASE_CONFIG, "role_arn": ROLE, "session_duration": 7200}
    source = SourceCloudwatchLogs()

    status = source.check(LOGGER, config)
    assert (status.status, status.message) == (Status.FAILED, message)
    with pytest.raises(AirbyteTracedException) as discovered:
        source.discover(LOGGER, config)
    with pytest.raises(AirbyteTracedException) as read:
        list(source.read(LOGGER, config, catalog=one_stream_catalog("app"), state=None))
    for raised in (discovered.value, read.value):
        assert (raised.message, raised.failure_type) == (message, FailureType.config_error)
        assert raised.internal_message == "logs:DescribeLogGroups: AssumeRoleError " + error_code_of(error)
        assert "not-a-real-secret" not in str(raised.internal_message)


def error_code_of(error: ClientError) -> str:
    return str(error.response["Error"]["Code"])


def one_stream_catalog(name: str) -> ConfiguredAirbyteCatalog:
    return ConfiguredAirbyteCatalog(
        streams=[
            ConfiguredAirbyteStream(
                stream=catalog_stream(name),
                sync_mode=SyncMode.incremental,
                destination_sync_mode=DestinationSyncMode.append,
            )
        ]
    )
