"""check/discover error wording for failures moto cannot produce (it accepts any keys). Faked with
botocore's Stubber on the real client: the error shapes are the ones AWS returns."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from botocore.stub import Stubber

from source_cloudwatch_logs import aws
from source_cloudwatch_logs.source import SourceCloudwatchLogs
from source_cloudwatch_logs.spec import parse_config

CONFIG = {"region_name": "us-east-1", "aws_access_key_id": "AKIDEXAMPLE", "aws_secret_access_key": "not-a-real-secret"}
LOGGER = logging.getLogger("test")


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    api = aws.LogsApi.connect(parse_config(CONFIG))
    stubber = Stubber(api.client)
    monkeypatch.setattr(aws.LogsApi, "connect", classmethod(lambda cls, *args, **kwargs: api))
    with stubber:
        yield stubber


def test_check_explains_rejected_keys(stub: Stubber) -> None:
    stub.add_client_error(
        "describe_log_groups",
        service_error_code="UnrecognizedClientException",
        service_message="The security token included in the request is invalid.",
        http_status_code=400,
    )
    status = SourceCloudwatchLogs().check(LOGGER, CONFIG)
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
    stub.add_client_error("describe_log_groups", service_error_code="AccessDeniedException", service_message=denial)
    status = SourceCloudwatchLogs().check(LOGGER, CONFIG)
    assert status.status == Status.FAILED
    assert status.message == (
        f"Permission denied: the credentials are not allowed logs:DescribeLogGroups ({denial}). "
        "Grant logs:DescribeLogGroups."
    )


def test_discover_failure_is_a_config_error_with_the_same_words(stub: Stubber) -> None:
    stub.add_client_error("describe_log_groups", service_error_code="AccessDeniedException", service_message="denied")
    with pytest.raises(AirbyteTracedException) as raised:
        SourceCloudwatchLogs().discover(LOGGER, CONFIG)
    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message == (
        "Permission denied: the credentials are not allowed logs:DescribeLogGroups (denied). "
        "Grant logs:DescribeLogGroups."
    )
    assert "not-a-real-secret" not in str(raised.value.internal_message)


def test_throttling_is_a_transient_failure(stub: Stubber) -> None:
    stub.add_client_error(
        "describe_log_groups", service_error_code="ThrottlingException", service_message="Rate exceeded"
    )
    with pytest.raises(AirbyteTracedException) as raised:
        SourceCloudwatchLogs().discover(LOGGER, CONFIG)
    assert raised.value.failure_type == FailureType.system_error
    assert raised.value.message == "logs:DescribeLogGroups failed with ThrottlingException: Rate exceeded"
