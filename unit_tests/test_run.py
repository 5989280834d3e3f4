"""The entry point validates configs with the model (naming the field, never the value) for every command."""

from __future__ import annotations

import io
import queue
import signal
import sys

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.print_buffer import PrintBuffer
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs import run
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


def test_a_stop_signal_is_noted_and_the_process_ends_after_whole_messages(monkeypatch: pytest.MonkeyPatch) -> None:
    """The handler only takes note; a helper thread ends the process when the main loop is waiting. Faked:
    the signal's arrival (the handler is called), os._exit (recorded), and stdout (a StringIO)."""
    output, stdout, exits = PrintBuffer(), io.StringIO(), queue.Queue[int]()
    monkeypatch.setattr(run, "PRINT_BUFFER", output)
    monkeypatch.setattr(run, "STOP_WAIT_S", 0.01)
    monkeypatch.setattr(sys, "__stdout__", stdout)
    monkeypatch.setattr(run.os, "_exit", exits.put)
    stop = run.Stop()
    output.write('{"type":"RECORD"}\n')

    stop.on_signal(signal.SIGTERM, None)
    stop.on_signal(signal.SIGINT, None)  # a second signal changes nothing

    assert exits.get(timeout=5) == 128 + signal.SIGTERM
    assert stdout.getvalue().splitlines() == [
        '{"type":"RECORD"}',
        '{"type":"LOG","log":{"level":"WARN","message":"Stopped by SIGTERM: the sync was cancelled; the last STATE of '
        'each stream is where the next sync resumes."}}',
    ]
    assert exits.empty()


class ShortWrites(io.RawIOBase):
    """A file whose write(2) takes at most 7 bytes a call, as a pipe write interrupted by a signal does."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        taken = bytes(memoryview(b))[:7]  # type: ignore[arg-type]
        self.data += taken
        return len(taken)


def unbuffered(raw: ShortWrites) -> io.TextIOWrapper:
    """What `python -u` (PYTHONUNBUFFERED=1, as the Docker image sets) makes stdout: text straight to the file."""
    return io.TextIOWrapper(raw, encoding="utf-8", write_through=True)  # type: ignore[arg-type]


def test_unbuffered_stdout_is_given_a_buffered_layer_that_writes_every_byte() -> None:
    text, lines = '{"type":"STATE","state":{}}\n' * 50, b'{"type":"RECORD","record":{}}' * 50

    plain = ShortWrites()
    as_python_makes_it = unbuffered(plain)
    as_python_makes_it.write(text)
    as_python_makes_it.flush()
    assert len(plain.data) == 7  # the defect: the rest of the text is lost

    raw = ShortWrites()
    stdout = run.whole_writes(unbuffered(raw))
    stdout.write(text)
    stdout.flush()
    stdout.buffer.write(lines)  # as run.write_bytes writes a batch
    stdout.buffer.flush()
    assert bytes(raw.data) == text.encode() + lines
    assert (stdout.encoding, stdout.errors) == ("utf-8", "strict")

    buffered = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert run.whole_writes(buffered) is buffered  # already buffered: kept as it is


def test_malloc_arenas_are_limited_unless_the_variable_says_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, int]] = []

    class Libc:
        def mallopt(self, parameter: int, value: int) -> int:
            calls.append((parameter, value))
            return 1

    monkeypatch.setattr(run.ctypes, "CDLL", lambda name: Libc())
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    run.limit_malloc_arenas()
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    run.limit_malloc_arenas()
    assert calls == [(run.M_ARENA_MAX, run.MALLOC_ARENAS)]

    def missing(name: str) -> None:
        raise OSError(name)

    monkeypatch.delenv("MALLOC_ARENA_MAX")
    monkeypatch.setattr(run.ctypes, "CDLL", missing)
    run.limit_malloc_arenas()  # not glibc: nothing to do, nothing raised
