"""Runs the connector's real entry point as a subprocess and seeds CloudWatch Logs through boto3."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

ENTRY_POINT = Path(sys.executable).with_name("source-cloudwatch-logs")
REGION = "us-east-1"
Event = tuple[int, str]  # (timestamp ms, message)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def logs_client(endpoint: str) -> Any:
    return boto3.client(
        "logs",
        region_name=REGION,
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def put_events(client: Any, group: str, stream: str, events: Iterable[Event]) -> None:
    """Creates the group and stream if needed, then puts the events in time order, 10,000 per call."""
    existing = {g["logGroupName"] for g in client.describe_log_groups(logGroupNamePrefix=group)["logGroups"]}
    if group not in existing:
        client.create_log_group(logGroupName=group)
    streams = client.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)["logStreams"]
    if stream not in {s["logStreamName"] for s in streams}:
        client.create_log_stream(logGroupName=group, logStreamName=stream)
    ordered = sorted(events)
    for i in range(0, len(ordered), 10_000):
        batch = [{"timestamp": ts, "message": message} for ts, message in ordered[i : i + 10_000]]
        client.put_log_events(logGroupName=group, logStreamName=stream, logEvents=batch)


def config(endpoint: str, **overrides: Any) -> dict[str, Any]:
    return {
        "region_name": REGION,
        "aws_access_key_id": "testing",
        "aws_secret_access_key": "testing",
        "endpoint_url": endpoint,
        "ingestion_delay_seconds": 0,
        **overrides,
    }


def configured_catalog(catalog: Mapping[str, Any], sync_mode: str = "incremental") -> dict[str, Any]:
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


class MessageView:
    """Accessors over a connector's protocol messages (parsed JSON lines)."""

    messages: list[dict[str, Any]]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]

    @property
    def records(self) -> list[dict[str, Any]]:
        return [m["record"] for m in self.of("RECORD")]

    def records_of(self, stream: str) -> list[dict[str, Any]]:
        return [r["data"] for r in self.records if r["stream"] == stream]

    def events_of(self, stream: str) -> list[Event]:
        return sorted((r["timestamp"], r["message"]) for r in self.records_of(stream))

    @property
    def state(self) -> list[dict[str, Any]]:
        """The last STATE of each stream, as a state file for the next read."""
        last: dict[str, dict[str, Any]] = {}
        for message in self.of("STATE"):
            last[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
        return [{"type": "STREAM", "stream": state["stream"]} for state in last.values()]

    def stream_state(self, stream: str) -> dict[str, Any]:
        return next(
            s["stream"]["stream_state"] for s in self.state if s["stream"]["stream_descriptor"]["name"] == stream
        )

    def logs(self, level: str) -> list[str]:
        return [m["log"]["message"] for m in self.of("LOG") if m["log"]["level"] == level]

    @property
    def errors(self) -> list[dict[str, Any]]:
        return [m["trace"]["error"] for m in self.of("TRACE") if m["trace"]["type"] == "ERROR"]

    def statuses(self, stream: str) -> list[str]:
        return [
            m["trace"]["stream_status"]["status"]
            for m in self.of("TRACE")
            if m["trace"]["type"] == "STREAM_STATUS"
            and m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream
        ]

    @property
    def connection_status(self) -> dict[str, Any]:
        (status,) = self.of("CONNECTION_STATUS")
        return status["connectionStatus"]  # type: ignore[no-any-return]

    @property
    def catalog(self) -> dict[str, Any]:
        (catalog,) = self.of("CATALOG")
        return catalog["catalog"]  # type: ignore[no-any-return]


@dataclass
class Output(MessageView):
    returncode: int
    messages: list[dict[str, Any]]
    stdout: str
    stderr: str

    @classmethod
    def parse(cls, returncode: int, stdout: str, stderr: str) -> Output:
        """The protocol messages of a connector's stdout, one JSON object per line."""
        messages = []
        for line in stdout.split("\n"):  # not splitlines(): a message may hold U+2028 and other line breaks
            if not line:
                continue
            try:
                messages.append(json.loads(line))
            except json.JSONDecodeError:
                messages.append({"type": "NOT_JSON", "line": line})
        return cls(returncode, messages, stdout, stderr)


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
    """`source-cloudwatch-logs <command> --config ... [--catalog ...] [--state ...] [extra_args]`, parsed.

    The child sees none of this process's AWS_* variables (only those in `env`) and no instance metadata.
    """
    args = [str(ENTRY_POINT), command, *extra_args]
    for name, value in (("config", config), ("catalog", catalog), ("state", state)):
        if value is None and not (name == "config" and raw_config is not None):
            continue
        path = workdir / f"{name}-{time.monotonic_ns()}.json"
        path.write_text(raw_config if name == "config" and raw_config is not None else json.dumps(value))
        args += [f"--{name}", str(path)]
    child_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    child_env.update({"AWS_EC2_METADATA_DISABLED": "true", **(env or {})})
    done = subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=child_env, check=False)
    return Output.parse(done.returncode, done.stdout, done.stderr)
