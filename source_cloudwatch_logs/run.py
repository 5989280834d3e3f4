"""Console entry point: `source-cloudwatch-logs spec|check|discover|read ...`.

`spec`, `check` and `discover` print what a user needs and none of the CDK's own lines below WARNING (its
"MemoryMonitor instantiated ..." line, "Check succeeded") unless debug logging is on (`--debug`, or LOG_LEVEL=debug
as the CDK reads it); `read` prints them all. Tests: integration_tests/test_spec_check_discover.py.
"""

import argparse
import ctypes
import io
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from types import FrameType
from typing import Any, NoReturn

import airbyte_cdk
import orjson
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.entrypoint import logger as CDK_LOGGER
from airbyte_cdk.logger import PRINT_BUFFER, is_platform_debug_log_enabled
from airbyte_cdk.models import (
    AirbyteLogMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    ConnectorSpecification,
    FailureType,
    Level,
    Type,
)
from airbyte_cdk.sources.connector_state_manager import HashableStreamDescriptor
from airbyte_cdk.utils.constants import ENV_REQUEST_CACHE_PATH
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.aws.insights import stop_running_queries
from source_cloudwatch_logs.batches import batch_in
from source_cloudwatch_logs.output import BatchedRecords
from source_cloudwatch_logs.source import SourceCloudwatchLogs
from source_cloudwatch_logs.spec import config_error, parse_config


class Entrypoint(AirbyteEntrypoint):
    """The CDK's entry point, with the config check below, and `read` writing record batches (batches.py) as
    they are: the rest of `read` (temporary directory, queued messages, record counts on STATE) is the CDK's."""

    def lines(self, parsed_args: argparse.Namespace) -> Iterable[str | bytes]:
        """What `run` yields (a message per string), except that a record batch comes as its bytes."""
        if parsed_args.command != "read":
            yield from self.run(parsed_args)
            return
        if debug_logging(parsed_args):  # as the CDK's `run`
            self.logger.setLevel(logging.DEBUG)
            CDK_LOGGER.setLevel(logging.DEBUG)
            self.logger.debug("Debug logs enabled")
        else:
            self.logger.setLevel(logging.INFO)
        source_spec = self.source.spec(self.logger)
        try:
            with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as temp_dir:
                os.environ[ENV_REQUEST_CACHE_PATH] = temp_dir
                config = self.source.configure(self.source.read_config(parsed_args.config), temp_dir)
                yield from map(self.airbyte_message_to_string, self._emit_queued_messages(self.source))
                catalog = self.source.read_catalog(parsed_args.catalog)
                state = self.source.read_state(parsed_args.state)
                for message in self.read(source_spec, config, catalog, state):
                    batch = batch_in(message)
                    yield batch.lines if batch is not None else self.airbyte_message_to_string(message)
        finally:
            yield from map(self.airbyte_message_to_string, self._emit_queued_messages(self.source))

    @staticmethod
    def handle_record_counts(
        message: AirbyteMessage, stream_message_count: defaultdict[HashableStreamDescriptor, float]
    ) -> AirbyteMessage:
        """A batch counts as its records on the next STATE's `sourceStats.recordCount`."""
        batch = batch_in(message)
        if batch is None:
            return AirbyteEntrypoint.handle_record_counts(message, stream_message_count)
        stream_message_count[HashableStreamDescriptor(name=batch.stream, namespace=None)] += float(batch.count)
        return message

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        """The one place the CDK's JSON-schema config check is replaced (check, discover and read all call it):
        the config model validates instead, naming the field and never the value, where the JSON-schema
        messages would quote a value (possibly a secret of the wrong type)."""
        parse_config(config)


def debug_logging(parsed_args: argparse.Namespace) -> bool:
    """Whether debug logging is on, as the CDK's `run` decides it."""
    return bool(getattr(parsed_args, "debug", False)) or is_platform_debug_log_enabled()


QUIET_COMMANDS = frozenset({"spec", "check", "discover"})
CDK_DIRECTORY = os.path.join(os.path.dirname(airbyte_cdk.__file__), "")


class CdkDiagnostics(logging.Filter):
    """Drops the lines below WARNING that the CDK's own code logs; the connector's lines and every warning or error
    pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not record.pathname.startswith(CDK_DIRECTORY)


def quiet_cdk_diagnostics(parsed_args: argparse.Namespace, source: SourceCloudwatchLogs) -> None:
    """For `spec`, `check` and `discover` without debug logging: no CDK diagnostics, on the CDK's logger (where the
    entry point's MemoryMonitor logs when it is built) and on the one the entry point gives the source."""
    if parsed_args.command in QUIET_COMMANDS and not debug_logging(parsed_args):
        for name in ("airbyte", f"airbyte.{source.name}"):  # as AirbyteEntrypoint names them
            logging.getLogger(name).addFilter(CdkDiagnostics())


def whole_writes(stream: io.TextIOWrapper) -> io.TextIOWrapper:
    """`stream`, or, when its bytes go straight to the file (`python -u`, PYTHONUNBUFFERED=1 as the Docker image
    sets it), the same file behind a buffered layer.

    An unbuffered stream's `write` is one write(2): when a signal (the platform's SIGTERM) interrupts it on a full
    pipe, it returns having written part of the bytes, and neither the text layer nor a caller that ignores the
    count writes the rest: the stopped sync ended with half a RECORD line. A buffered writer writes everything it
    is given ("the number of bytes written (always equal to the length of b in bytes...)", Python's io docs,
    BufferedIOBase.write); every writer here flushes it at once. Tests: unit_tests/test_run.py (a file that takes
    a few bytes a call), integration_tests/test_cancellation.py (the signal on a full pipe)."""
    if not isinstance(stream.buffer, io.RawIOBase):
        return stream
    encoding, errors = stream.encoding, stream.errors
    raw = stream.buffer
    stream.detach()  # the old layer lets go of the file without closing it
    return io.TextIOWrapper(io.BufferedWriter(raw), encoding=encoding, errors=errors, write_through=True)


def write_bytes(lines: bytes) -> None:
    """Lines that are already UTF-8 straight to stdout's byte stream, after the text buffered before them, and out
    of the process before the lock is released: no part of a batch waits in a buffer that another writer or a
    stop could get ahead of."""
    with PRINT_BUFFER.lock:
        PRINT_BUFFER.flush()
        out = sys.__stdout__.buffer  # type: ignore[union-attr]
        out.write(lines)
        out.write(b"\n")
        out.flush()


def _dump(message: AirbyteMessage) -> str:
    return orjson.dumps(AirbyteMessageSerializer.dump(message)).decode()


class Stop:
    """SIGTERM (the platform's cancel, `docker stop`) or SIGINT: the connector stops at once, cleanly.

    The signal handler only takes note: raising in the main thread could cut a message it is writing in two.
    The main loop stops after the message in hand; when it is waiting (for a throttled request, say), a
    helper thread stops the process after STOP_WAIT_S. Stopping holds the output's lock, so the messages
    written are whole and nothing follows them; every STATE among them follows the records it covers, so a
    later sync resumes from it exactly (as after a kill). The exit status is 128 + the signal's number, and no
    worker in the middle of a request or blocked on the full queue is waited for.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self._once = threading.Lock()

    def on_signal(self, signum: int, frame: FrameType | None) -> None:
        if self.signum is None:
            self.signum = signum
            threading.Thread(target=self._later, name="stop", daemon=True).start()

    def _later(self) -> None:
        time.sleep(STOP_WAIT_S)
        self.now()

    def now(self) -> NoReturn:
        self._once.acquire()  # the main loop and the helper thread may both get here: the first one exits
        stop_running_queries()  # Logs Insights queries would otherwise run on, and cost, after the exit
        PRINT_BUFFER.lock.acquire()  # reentrant; released by nobody: no thread writes after this
        assert self.signum is not None
        name = signal.Signals(self.signum).name
        text = (
            f"Stopped by {name}: the sync was cancelled; the last STATE of each stream is where the next sync resumes."
        )
        PRINT_BUFFER.write(
            _dump(AirbyteMessage(type=Type.LOG, log=AirbyteLogMessage(level=Level.WARN, message=text))) + "\n"
        )
        PRINT_BUFFER.flush()
        os._exit(128 + self.signum)


STOP_WAIT_S = 1.0
STOP = Stop()


NO_TEMP_DIR_MESSAGE = (
    "No writable temporary directory: the Airbyte CDK needs one (it tried /tmp, /var/tmp, /usr/tmp and the working "
    "directory). With a read-only root filesystem, mount one: docker run --read-only --tmpfs /tmp ..."
)


MALLOC_ARENAS = 2
M_ARENA_MAX = -8  # glibc's mallopt parameter


def limit_malloc_arenas() -> None:
    """glibc gives each thread that allocates its own heap arena (up to 8 per core), and freed pages in one arena are
    not reused by another: with a page of events parsed on every thread, RSS grew about 65 MB above what the data
    needs (`make bench`, scenario 2). Two arenas, as `MALLOC_ARENA_MAX=2` would set, cost no measurable speed. No-op
    without glibc, or when the variable is set."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_ARENA_MAX, MALLOC_ARENAS)
    except (OSError, AttributeError):
        pass


def run() -> None:
    limit_malloc_arenas()
    sys.stdout = whole_writes(sys.__stdout__)  # type: ignore[arg-type]
    setattr(sys, "__stdout__", sys.stdout)  # noqa: B010 (typeshed calls it Final): the CDK's PrintBuffer writes there
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, STOP.on_signal)
    try:
        tempfile.gettempdir()
    except FileNotFoundError:
        print(_dump(config_error(NO_TEMP_DIR_MESSAGE).as_airbyte_message()), flush=True)
        sys.exit(1)
    parsed_args = Entrypoint.parse_args(sys.argv[1:])
    source = SourceCloudwatchLogs(output=BatchedRecords())  # the one output decision (output.py)
    quiet_cdk_diagnostics(parsed_args, source)  # before the entry point is built: it logs then
    entrypoint = Entrypoint(source)
    try:
        with PRINT_BUFFER:  # as the CDK's launch(): one buffer serialises every writer, flushed every 0.1 s
            write = PRINT_BUFFER.write
            for message in entrypoint.lines(parsed_args):
                if isinstance(message, bytes):
                    write_bytes(message)
                else:
                    write(message + "\n")
                if STOP.signum is not None:
                    STOP.now()
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
