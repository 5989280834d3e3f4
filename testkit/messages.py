"""The connector's output: Airbyte protocol messages, one JSON object per stdout line, and accessors over them.

Standard library only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

Event = tuple[int, str]  # (timestamp ms, message), as testkit.seeding puts them


def parse_message(line: str | bytes) -> dict[str, Any]:
    """One stdout line as a message; anything that is not a JSON object with a `type` (or, as bytes, not UTF-8)
    becomes {"type": "NOT_JSON", "line": <its first 500 characters>}."""
    try:
        message = json.loads(line.decode("utf-8") if isinstance(line, bytes) else line)
    except (UnicodeDecodeError, json.JSONDecodeError):
        message = None
    if isinstance(message, dict) and "type" in message:
        return message
    return {"type": "NOT_JSON", "line": line[:500]}


def parse_messages(output: str | bytes) -> list[dict[str, Any]]:
    """The messages of a whole stdout. Split on "\\n" only, not splitlines(): a message may hold U+2028, NEL and
    other characters that str.splitlines splits on."""
    lines: Iterable[str | bytes] = output.split(b"\n") if isinstance(output, bytes) else output.split("\n")
    return [parse_message(line) for line in lines if line]


def state_entry(stream: str, timestamp: Any) -> dict[str, Any]:
    """One entry of a state file: `stream` read up to `timestamp` (epoch ms; any value, to test bad ones)."""
    return {
        "type": "STREAM",
        "stream": {"stream_descriptor": {"name": stream}, "stream_state": {"timestamp": timestamp}},
    }


@dataclass
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

    def final_states(self) -> dict[str, int]:
        """The last state value (`timestamp`) of each stream."""
        return {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"]["timestamp"] for s in self.state}

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
    """A finished connector process: its exit code, parsed messages and raw output."""

    returncode: int
    stdout: str
    stderr: str

    @classmethod
    def parse(cls, returncode: int, stdout: str, stderr: str) -> Output:
        return cls(parse_messages(stdout), returncode, stdout, stderr)
