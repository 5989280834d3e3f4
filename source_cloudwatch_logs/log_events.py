"""FilterLogEvents: the events of one time window, page by page, with this API's rules and failures.

- Windows are half-open `[start, end)`: AWS documents endTime as exclusive but has been seen to return events at
  endTime (and moto does); those belong to the next window and are dropped here.
- Paging ends only when `nextToken` is absent: pages can be empty or partly full while a token is present.
- An expired (24 h) or rejected `nextToken` restarts the window from its start, at most MAX_WINDOW_RESTARTS
  times; the repeated events carry the same eventId and are removed downstream.
- An API error becomes an Airbyte error naming the stream and the log group; botocore's own errors (retries
  exhausted on a dropped connection) stay as they are, transient.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from source_cloudwatch_logs.client import LogsClient
from source_cloudwatch_logs.errors import Action, aws_failure, error_code

PAGE_LIMIT = 10_000  # FilterLogEvents maximum
MAX_WINDOW_RESTARTS = 3


@dataclass(frozen=True)
class EventQuery:
    """What one stream asks FilterLogEvents: a log group, optionally narrowed the way a custom report says."""

    log_group: str
    log_stream_names: tuple[str, ...] | None = None
    log_stream_name_prefix: str | None = None
    filter_pattern: str | None = None
    identifier: str | None = None  # the group's ARN, for a linked account's group (logGroupIdentifier)

    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = (
            {"logGroupIdentifier": self.identifier} if self.identifier else {"logGroupName": self.log_group}
        )
        if self.log_stream_names:
            params["logStreamNames"] = list(self.log_stream_names)
        if self.log_stream_name_prefix:
            params["logStreamNamePrefix"] = self.log_stream_name_prefix
        if self.filter_pattern:
            params["filterPattern"] = self.filter_pattern
        return params


class LogEvents:
    """FilterLogEvents on one shared client."""

    def __init__(self, *, logs: LogsClient) -> None:
        self._logs = logs

    def probe(self, query: EventQuery) -> None:
        """One call for one event: raises the API's error as is (check explains it in its own words)."""
        self._logs.client.filter_log_events(**query.params(), limit=1)

    def window(
        self, query: EventQuery, start: int, end: int, *, stream: str, field: str | None = None
    ) -> Iterator[list[dict[str, Any]]]:
        """The pages of `[start, end)`, each a list of events with timestamps in the window. `field` is the
        setting the query's parameters come from (a custom report), named if AWS rejects them."""
        restarts = 0
        while True:
            try:
                yield from self._pages(query, start, end)
                return
            except ClientError as error:
                if not _token_rejected(error):
                    raise self._failure(error, query, stream, field) from None
                if restarts >= MAX_WINDOW_RESTARTS:  # tokens kept expiring: time, not the user's settings
                    raise self._failure(error, query, stream, None) from None
                restarts += 1

    def _pages(self, query: EventQuery, start: int, end: int) -> Iterator[list[dict[str, Any]]]:
        params = {**query.params(), "startTime": start, "endTime": end, "limit": PAGE_LIMIT}
        filter_log_events = self._logs.client.filter_log_events
        while True:
            page: Mapping[str, Any] = filter_log_events(**params)
            token = page.get("nextToken")
            events = [event for event in page.get("events") or () if event["timestamp"] < end]
            del page  # the consumer drops events as it hands them over: nothing else may keep the page alive
            yield events
            if not token:
                return
            params["nextToken"] = token

    def _failure(self, error: ClientError, query: EventQuery, stream: str, field: str | None) -> Exception:
        failure = self._logs.failure(Action.FILTER_LOG_EVENTS, stream=stream, log_group=query.log_group, field=field)
        return aws_failure(error, failure)


def _token_rejected(error: ClientError) -> bool:
    message = str(error.response.get("Error", {}).get("Message", ""))
    return error_code(error) == "InvalidParameterException" and "token" in message.lower()
