"""The entry point validates configs with the model (naming the field, never the value) for every command."""

from __future__ import annotations

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.run import Entrypoint
from source_cloudwatch_logs.source import SourceCloudwatchLogs


def test_config_validation_names_the_field_and_never_the_value() -> None:
    spec = SourceCloudwatchLogs().spec(logger=None)  # type: ignore[arg-type]
    with pytest.raises(AirbyteTracedException) as raised:
        Entrypoint.validate_connection(spec, {"region_name": "us-east-1", "aws_secret_access_key": ["hidden-value"]})
    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message == "Invalid configuration: `aws_secret_access_key` Input should be a valid string."
    assert "hidden-value" not in str(raised.value.internal_message)
    Entrypoint.validate_connection(spec, {"region_name": "us-east-1"})  # a valid config passes
