from __future__ import annotations

from collections.abc import Iterator

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.aws.errors import (
    Action,
    AwsError,
    CallFailed,
    Failure,
    Fault,
    QueryEnded,
    UnexpectedAnswer,
    UnreadableMillisecond,
    query_ended,
)
from source_cloudwatch_logs.failures import FAILURE_TYPES, airbyte_error, airbyte_errors, failure_type, reported
from unit_tests.aws.test_errors import EXPLAINED


def test_a_config_fault_is_a_config_error_and_every_other_a_system_error() -> None:
    assert {
        Fault.CONFIG: FailureType.config_error,
        Fault.TRANSIENT: FailureType.system_error,
        Fault.SYSTEM: FailureType.system_error,
    } == FAILURE_TYPES


@pytest.mark.parametrize("case", list(EXPLAINED))
def test_an_aws_failure_s_type_follows_its_fault(case: str) -> None:
    error, _, kind = EXPLAINED[case]
    assert failure_type(error) == FAILURE_TYPES[kind]


def test_the_airbyte_error_keeps_the_messages_and_the_kinds_keep_their_faults() -> None:
    ended = query_ended("Timeout", Failure(Action.GET_QUERY_RESULTS, "us-east-1", "x", stream="s", log_group="g"))
    converted = airbyte_error(ended)
    assert (converted.message, converted.internal_message, converted.failure_type) == (
        "Stream 's': a Logs Insights query of log group 'g' ended with status Timeout. Queries time out after 60 "
        "minutes: lower the data per window with a narrower query.",
        "logs:GetQueryResults: query status Timeout",
        FailureType.system_error,
    )
    assert isinstance(ended, QueryEnded) and ended.fault == Fault.TRANSIENT
    assert UnexpectedAnswer("m", internal_message="i").fault == Fault.SYSTEM
    assert UnreadableMillisecond("m", internal_message="i").fault == Fault.SYSTEM
    denied = airbyte_error(CallFailed("Permission denied.", internal_message="logs:X", fault=Fault.CONFIG))
    assert (denied.message, denied.internal_message, denied.failure_type) == (
        "Permission denied.",
        "logs:X",
        FailureType.config_error,
    )


def test_errors_convert_where_the_connector_hands_over_and_nothing_else_does() -> None:
    failing = CallFailed("Permission denied.", internal_message="logs:X", fault=Fault.CONFIG)

    @airbyte_errors()
    def call() -> None:
        raise failing

    with pytest.raises(AirbyteTracedException) as raised:
        call()
    assert (raised.value.message, raised.value.__cause__) == ("Permission denied.", failing)
    with pytest.raises(KeyError), airbyte_errors():
        raise KeyError("not an AWS layer error")


def test_a_reading_generator_hands_over_what_it_read_then_the_converted_error() -> None:
    @reported
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise UnexpectedAnswer("Stream 's': broken.", internal_message="broken")

    read: list[int] = []
    with pytest.raises(AirbyteTracedException) as raised:
        read.extend(pages())
    assert read == [1, 2]
    assert (raised.value.message, raised.value.failure_type) == ("Stream 's': broken.", FailureType.system_error)
    assert not isinstance(raised.value, AwsError)
