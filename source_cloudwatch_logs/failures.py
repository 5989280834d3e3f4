"""The AWS layer's errors as the Airbyte errors the platform sees: the same message and internal message, and a
failure type from the fault (CONFIG: config_error, the user must change something; TRANSIENT and SYSTEM:
system_error, which the platform retries).

`airbyte_errors` converts wherever the connector's code hands control to the CDK: check, discover, the sync's plan
and every window a partition reads (`reported`). Tests: unit_tests/test_failures.py, and the exact messages, types
and exit codes of integration_tests/test_bad_input.py, test_faults.py, test_partial_failures.py and others.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.aws.errors import AwsError, Failure, Fault, fault_of

FAILURE_TYPES = {
    Fault.CONFIG: FailureType.config_error,
    Fault.TRANSIENT: FailureType.system_error,
    Fault.SYSTEM: FailureType.system_error,
}

P = ParamSpec("P")
T = TypeVar("T")


def airbyte_error(error: AwsError) -> AirbyteTracedException:
    return AirbyteTracedException(
        message=error.message, internal_message=error.internal_message, failure_type=FAILURE_TYPES[error.fault]
    )


def failure_type(error: BaseException, failure: Failure | None = None) -> FailureType:
    """The failure type of an AWS/botocore exception of a call that went to `failure` (errors.fault_of)."""
    return FAILURE_TYPES[fault_of(error, failure)]


@contextmanager
def airbyte_errors() -> Iterator[None]:
    """Within it (or a function it decorates), an AWS layer error becomes its Airbyte error, caused by it."""
    try:
        yield
    except AwsError as error:
        raise airbyte_error(error) from error


def reported(read: Callable[P, Iterable[T]]) -> Callable[P, Iterator[T]]:
    """A generator function whose AWS layer errors become their Airbyte errors (`airbyte_errors`)."""

    @functools.wraps(read)
    def reading(*args: P.args, **kwargs: P.kwargs) -> Iterator[T]:
        with airbyte_errors():
            yield from read(*args, **kwargs)

    return reading
