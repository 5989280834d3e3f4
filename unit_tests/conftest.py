from __future__ import annotations

from typing import Any

import pytest

from source_cloudwatch_logs.discovery import LogGroup, StreamDefinition


class StubLogsApi:
    """Answers FilterLogEvents from a scripted list of pages (or exceptions) and records each call.

    Stands in for the AWS client where a test needs page shapes a server never produces on demand.
    """

    region = "us-east-1"
    endpoint = "https://logs.us-east-1.amazonaws.com"

    def __init__(self, pages: list[Any]) -> None:
        self.pages = list(pages)
        self.calls: list[dict[str, Any]] = []

    def filter_log_events(self, **params: Any) -> dict[str, Any]:
        self.calls.append(dict(params))
        page = self.pages.pop(0)
        if isinstance(page, Exception):
            raise page
        return page  # type: ignore[no-any-return]


def group(name: str = "g", **fields: Any) -> LogGroup:
    values: dict[str, Any] = {"creation_ms": None, "retention_days": None, "stored_bytes": 0, "log_class": None}
    values.update(fields)
    return LogGroup(name=name, **values)


@pytest.fixture
def definition() -> StreamDefinition:
    return StreamDefinition(name="g", group=group())
