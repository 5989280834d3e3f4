"""Console entry point: `source-cloudwatch-logs spec|check|discover|read ...`."""

import sys
from collections.abc import Mapping
from typing import Any

import orjson
from airbyte_cdk.entrypoint import PRINT_BUFFER, AirbyteEntrypoint
from airbyte_cdk.models import AirbyteMessageSerializer, ConnectorSpecification, FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.source import SourceCloudwatchLogs
from source_cloudwatch_logs.spec import parse_config


class Entrypoint(AirbyteEntrypoint):
    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        """The one place the CDK's JSON-schema config check is replaced (check, discover and read all call it):
        the config model validates instead, naming the field and never the value, where the JSON-schema
        messages would quote a value (possibly a secret of the wrong type)."""
        parse_config(config)


def run() -> None:
    entrypoint = Entrypoint(SourceCloudwatchLogs())
    try:
        with PRINT_BUFFER:  # as the CDK's launch(): one buffer serialises every writer, flushed every 0.1 s
            write = PRINT_BUFFER.write
            for message in entrypoint.run(entrypoint.parse_args(sys.argv[1:])):
                write(message + "\n")
    except AirbyteTracedException as error:
        if error.failure_type != FailureType.config_error:
            raise  # the CDK's handler reports it, with the stack trace a bug report needs
        # Bad input is the user's to fix: the message names the field; a stack trace would only bury it.
        clean = AirbyteTracedException(
            message=error.message, internal_message=error.internal_message, failure_type=error.failure_type
        )
        print(orjson.dumps(AirbyteMessageSerializer.dump(clean.as_airbyte_message())).decode(), flush=True)
        sys.exit(1)


if __name__ == "__main__":
    run()
