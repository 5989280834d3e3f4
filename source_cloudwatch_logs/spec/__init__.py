"""The connector's configuration: the model and its validation (`model`), the connection specification the
Airbyte UI renders (`ui`), and config errors in words a user can act on (`errors`).

These are the names the rest of the package imports; unit_tests/test_spec.py proves each module's contract.
"""

from source_cloudwatch_logs.spec.errors import config_error
from source_cloudwatch_logs.spec.model import CloudWatchLogsConfig, CustomLogReport, aws_settings, parse_config
from source_cloudwatch_logs.spec.ui import connection_specification

__all__ = [
    "CloudWatchLogsConfig",
    "CustomLogReport",
    "aws_settings",
    "config_error",
    "connection_specification",
    "parse_config",
]
