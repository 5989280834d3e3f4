"""Config errors in words a user can act on: the `config_error` every module raises when the user must change
the configuration, and one line per pydantic problem naming the field.

A message names the field (`custom_log_reports[0].query`) and never echoes the value given: it may be a secret.
unit_tests/test_spec.py::test_each_bad_config_names_the_field and ::test_config_errors_never_echo_values prove it.
"""

from __future__ import annotations

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from pydantic import ValidationError


def config_error(message: str, internal: str | None = None) -> AirbyteTracedException:
    return AirbyteTracedException(
        message=message, internal_message=internal or message, failure_type=FailureType.config_error
    )


def describe(error: ValidationError) -> str:
    """One line per problem, naming the field; never echoes the input (it may be a secret)."""
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        location = ".".join(str(part) if not isinstance(part, int) else f"[{part}]" for part in item["loc"])
        location = location.replace(".[", "[")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required"
        problems.append(f"`{location}` {message}" if location else message)
    return "; ".join(problems)
