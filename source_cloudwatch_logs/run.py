"""Console entry point: `source-cloudwatch-logs spec|check|discover|read ...`."""

import os
import signal
import sys
from collections.abc import Mapping
from types import FrameType
from typing import Any, NoReturn

import orjson
from airbyte_cdk.entrypoint import PRINT_BUFFER, AirbyteEntrypoint
from airbyte_cdk.models import (
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    ConnectorSpecification,
    FailureType,
    Level,
    Type,
)
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


def _dump(message: AirbyteMessage) -> str:
    return orjson.dumps(AirbyteMessageSerializer.dump(message)).decode()


class Cancelled(BaseException):
    """SIGTERM (the platform's cancel, `docker stop`) or SIGINT arrived. A BaseException, so that no
    `except Exception` on the way out can swallow it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise Cancelled(signum)


def _stop(cancelled: Cancelled) -> NoReturn:
    """Leave at once, cleanly. The print buffer's exit has written out the whole messages handed to it, and
    nothing after them; every STATE among them follows the records it covers, so a later sync resumes from it
    exactly (as after a kill). Exits with 128 + the signal's number, without waiting for workers in the middle
    of a request or blocked on the full queue."""
    name = signal.Signals(cancelled.signum).name
    text = f"Stopped by {name}: the sync was cancelled; the last STATE of each stream is where the next sync resumes."
    stdout = sys.__stdout__
    if stdout is not None:
        stdout.write(_dump(AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.WARN, message=text))) + "\n")
        stdout.flush()
    os._exit(128 + cancelled.signum)


def run() -> None:
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, stop_on_signal)
    entrypoint = Entrypoint(SourceCloudwatchLogs())
    try:
        with PRINT_BUFFER:  # as the CDK's launch(): one buffer serialises every writer, flushed every 0.1 s
            write = PRINT_BUFFER.write
            for message in entrypoint.run(entrypoint.parse_args(sys.argv[1:])):
                write(message + "\n")
    except Cancelled as cancelled:
        _stop(cancelled)
    except AirbyteTracedException as error:
        if error.failure_type != FailureType.config_error:
            raise  # the CDK's handler reports it, with the stack trace a bug report needs
        # Bad input is the user's to fix: the message names the field; a stack trace would only bury it.
        clean = AirbyteTracedException(
            message=error.message, internal_message=error.internal_message, failure_type=error.failure_type
        )
        print(_dump(clean.as_airbyte_message()), flush=True)
        sys.exit(1)


if __name__ == "__main__":
    run()
