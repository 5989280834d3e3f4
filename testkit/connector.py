"""Running the connector: its real entry point as a subprocess (to completion, or read line by line with a kill
switch), or in this process through the CDK's entry point; and its inputs: config, catalog and state files.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testkit.messages import MessageView, Output, parse_message
from testkit.seeding import REGION, TEST_KEY

ENTRY_POINT = Path(sys.executable).with_name("source-cloudwatch-logs")


# Stock moto cannot run the late-event sweep: its StartQuery takes only `logGroupNames` (`logGroupIdentifiers`,
# as the sweep names groups by ARN, answers 500, which the connector retries for about 10 s before it skips the
# sweep with a warning), and it does not run the sweep's `stats ... by @log, @logStream` (it answers rows of `@ptr`
# only). A read from a state that never saw a sweep against moto therefore turns the sweep off;
# integration_tests/test_sweep.py runs it against testkit's fake, which models Logs Insights.
NO_SWEEP = {"late_sweep_span_hours": 0}


def config(endpoint: str, **overrides: Any) -> dict[str, Any]:
    """A config for `endpoint` with the test keys and no ingestion delay (events are readable at once)."""
    return {
        "region_name": REGION,
        "aws_access_key_id": TEST_KEY,
        "aws_secret_access_key": TEST_KEY,
        "endpoint_url": endpoint,
        "ingestion_delay_seconds": 0,
        **overrides,
    }


def configured_catalog(catalog: Mapping[str, Any], sync_mode: str = "incremental") -> dict[str, Any]:
    """Every stream of a discovered catalog, configured for `sync_mode` (incremental: append_dedup on eventId)."""
    destination = "append_dedup" if sync_mode == "incremental" else "overwrite"
    return {
        "streams": [
            {
                "stream": stream,
                "sync_mode": sync_mode,
                "destination_sync_mode": destination,
                **({"cursor_field": ["timestamp"], "primary_key": [["eventId"]]} if sync_mode == "incremental" else {}),
            }
            for stream in catalog["streams"]
        ]
    }


def discovered_catalog(connector_config: Mapping[str, Any], sync_mode: str = "incremental") -> dict[str, Any]:
    """discover, in this process (the entry point's discover is the same code; this saves a process start)."""
    from airbyte_cdk.models.airbyte_protocol_serializers import AirbyteCatalogSerializer

    from source_cloudwatch_logs import SourceCloudwatchLogs

    catalog = SourceCloudwatchLogs().discover(logging.getLogger("discover"), connector_config)
    return configured_catalog(AirbyteCatalogSerializer.dump(catalog), sync_mode)


# ----- the entry point as a subprocess ------------------------------------------------------------------------


def write_inputs(
    workdir: Path,
    *,
    config: Mapping[str, Any] | None = None,
    catalog: Mapping[str, Any] | None = None,
    state: Any = None,
    raw_config: str | None = None,
) -> dict[str, Path]:
    """Writes each input given (`raw_config`: the config file's text as is) into a new file in `workdir`;
    returns option name -> file, in the order config, catalog, state."""
    texts = {
        "config": raw_config if raw_config is not None else None if config is None else json.dumps(config),
        "catalog": None if catalog is None else json.dumps(catalog),
        "state": None if state is None else json.dumps(state),
    }
    files: dict[str, Path] = {}
    for name, text in texts.items():
        if text is not None:
            files[name] = workdir / f"{name}-{time.monotonic_ns()}.json"
            files[name].write_text(text)
    return files


def command_line(
    command: str,
    workdir: Path,
    *,
    config: Mapping[str, Any] | None = None,
    catalog: Mapping[str, Any] | None = None,
    state: Any = None,
    raw_config: str | None = None,
    extra_args: Sequence[str] = (),
) -> list[str]:
    """`source-cloudwatch-logs <command> [extra_args] --config ... [--catalog ...] [--state ...]`."""
    files = write_inputs(workdir, config=config, catalog=catalog, state=state, raw_config=raw_config)
    return [
        str(ENTRY_POINT),
        command,
        *extra_args,
        *(arg for name, p in files.items() for arg in (f"--{name}", str(p))),
    ]


def child_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its AWS_* variables and with instance metadata disabled, plus `env`:
    the connector finds no credentials but those it is given. Unbuffered output, as the Docker image sets it
    (run.whole_writes is what keeps a signal from cutting a line then)."""
    child = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    child.update({"AWS_EC2_METADATA_DISABLED": "true", "PYTHONUNBUFFERED": "1", **(env or {})})
    return child


def run_connector(
    command: str,
    workdir: Path,
    config: Mapping[str, Any] | None = None,
    catalog: Mapping[str, Any] | None = None,
    state: Any = None,
    env: Mapping[str, str] | None = None,
    raw_config: str | None = None,
    timeout: float = 300,
    extra_args: Sequence[str] = (),
) -> Output:
    """`source-cloudwatch-logs <command> ...` to completion, its output parsed (see `child_environment`)."""
    args = command_line(
        command, workdir, config=config, catalog=catalog, state=state, raw_config=raw_config, extra_args=extra_args
    )
    done = subprocess.run(
        args, capture_output=True, text=True, timeout=timeout, env=child_environment(env), check=False
    )
    return Output.parse(done.returncode, done.stdout, done.stderr)


@dataclass
class Run(MessageView):
    """What a destination would have received from one `read`: the messages read before the kill."""

    killed: bool
    returncode: int
    stderr: str
    seconds: float
    seconds_after_signal: float | None = None  # from the stop signal to the end of the output

    def describe(self) -> str:
        return f"exit {self.returncode}, killed={self.killed}, stderr tail:\n{self.stderr[-3000:]}"


def read_with_kill(
    workdir: Path,
    connector_config: Mapping[str, Any],
    catalog: Mapping[str, Any],
    state: list[dict[str, Any]] | None = None,
    kill_after_records: int | None = None,
    timeout: float = 180,
    stop_signal: int = signal.SIGKILL,
) -> Run:
    """`source-cloudwatch-logs read` as a subprocess, its stdout read line by line as it is written.

    With `kill_after_records`, the process gets `stop_signal` right after that many RECORD lines were read. For
    SIGKILL, what was read up to then is what counts as delivered (lines still in the pipe are lost, as in a real
    crash); for another signal (the platform's SIGTERM, SIGINT) everything the connector still writes is read.
    """
    args = command_line("read", workdir, config=connector_config, catalog=catalog, state=state)
    stderr_path = workdir / f"stderr-{time.monotonic_ns()}.txt"
    started = time.monotonic()
    messages: list[dict[str, Any]] = []
    killed = False
    signalled: float | None = None
    with (
        stderr_path.open("wb") as stderr,
        subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, env=child_environment()) as proc,
    ):
        assert proc.stdout is not None
        timer = threading.Timer(timeout, proc.kill)  # a hung connector fails the test instead of hanging it
        timer.start()
        try:
            records = 0
            for raw in iter(proc.stdout.readline, b""):
                message = parse_message(raw.rstrip(b"\n"))
                messages.append(message)
                if message["type"] == "RECORD":
                    records += 1
                    if kill_after_records is not None and records >= kill_after_records and not killed:
                        proc.send_signal(stop_signal)
                        killed, signalled = True, time.monotonic()
                        if stop_signal == signal.SIGKILL:
                            break
            proc.stdout.close()
            returncode = proc.wait(timeout=timeout)
        finally:
            timer.cancel()
    if not killed and returncode == -signal.SIGKILL:
        raise AssertionError(f"read timed out after {timeout} s; stderr tail:\n{stderr_path.read_text()[-3000:]}")
    ended = time.monotonic()
    after_signal = None if signalled is None else ended - signalled
    return Run(messages, killed, returncode, stderr_path.read_text(errors="replace"), ended - started, after_signal)


# ----- in this process --------------------------------------------------------------------------------------


def read_in_process(
    connector_config: Mapping[str, Any], catalog: Mapping[str, Any], state: list[dict[str, Any]] | None = None
) -> Run:
    """`read` through the CDK's test entry point in this process (botocore can be patched, nothing is killed).

    `returncode` is what the entry point would exit with: 1 when the read ended with an error.
    """
    from airbyte_cdk.models import Type
    from airbyte_cdk.models.airbyte_protocol_serializers import (
        AirbyteMessageSerializer,
        AirbyteStateMessageSerializer,
        ConfiguredAirbyteCatalogSerializer,
    )
    from airbyte_cdk.test.entrypoint_wrapper import read
    from airbyte_cdk.test.models import ExpectedOutcome

    from source_cloudwatch_logs import SourceCloudwatchLogs

    started = time.monotonic()
    output = read(
        SourceCloudwatchLogs(),
        connector_config,
        ConfiguredAirbyteCatalogSerializer.load(catalog),
        [AirbyteStateMessageSerializer.load(s) for s in state] if state else None,
        expected_outcome=ExpectedOutcome.ALLOW_ANY,
    )
    messages = [AirbyteMessageSerializer.dump(m) for m in output.get_message_by_types(list(Type))]
    returncode = 1 if output.errors else 0
    return Run(messages, killed=False, returncode=returncode, stderr="", seconds=time.monotonic() - started)
