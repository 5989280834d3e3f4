"""FilterLogEvents: the events of one time window, page by page, with this API's rules and failures.

- Windows are half-open `[start, end)`: AWS documents endTime as exclusive but has been seen to return events at
  endTime (and moto does); those belong to the next window and are dropped here, and so is anything else an
  endpoint returns that was not asked for: events outside the window, or of other log streams than
  `logStreamNames`/`logStreamNamePrefix` select (moto and LocalStack ignore the prefix). An event without a field
  a record needs is an error naming the stream, never a record without its key.
- Paging ends only when `nextToken` is absent: pages can be empty or partly full while a token is present.
- An expired (24 h) or rejected `nextToken` restarts the window from its start, at most MAX_WINDOW_RESTARTS
  times; the repeated events carry the same eventId and are removed downstream.
- An API error becomes an `errors.CallFailed` naming the stream and the log group; botocore's own errors (retries
  exhausted on a dropped connection) stay as they are, transient.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from source_cloudwatch_logs.aws.client import LogsClient
from source_cloudwatch_logs.aws.errors import Action, UnexpectedAnswer, aws_failure, error_code

if TYPE_CHECKING:
    from source_cloudwatch_logs.aws.windows import Readers

PAGE_LIMIT = 10_000  # FilterLogEvents maximum
# What a record needs of each event (FilterLogEvents' FilteredLogEvent; `ingestionTime` may be absent).
REQUIRED_FIELDS = frozenset({"eventId", "timestamp", "message", "logStreamName"})
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

    @property
    def report_query(self) -> None:
        return None

    def source(self, readers: Readers, *, stream: str, setting: str | None) -> FilterLogEventsWindows:
        return FilterLogEventsWindows(events=readers.events, query=self, stream=stream, setting=setting)


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
                yield from self._pages(query, start, end, stream)
                return
            except ClientError as error:
                if not _token_rejected(error):
                    raise self._failure(error, query, stream, field) from None
                if restarts >= MAX_WINDOW_RESTARTS:  # tokens kept expiring: time, not the user's settings
                    raise self._failure(error, query, stream, None) from None
                restarts += 1

    def _pages(self, query: EventQuery, start: int, end: int, stream: str) -> Iterator[list[dict[str, Any]]]:
        params = {**query.params(), "startTime": start, "endTime": end, "limit": PAGE_LIMIT}
        filter_log_events = self._logs.client.filter_log_events
        names = frozenset(query.log_stream_names or ())
        prefix = query.log_stream_name_prefix
        while True:
            with self._logs.waits.calling(stream):  # its waits for the quota are the stream's (waits.py)
                page: Mapping[str, Any] = filter_log_events(**params)
            token = page.get("nextToken")
            try:
                events = [event for event in page.get("events") or () if start <= event["timestamp"] < end]
                if names:  # what was asked for only, whatever the endpoint honoured
                    events = [event for event in events if event["logStreamName"] in names]
                elif prefix:  # moto and LocalStack ignore logStreamNamePrefix
                    events = [event for event in events if event["logStreamName"].startswith(prefix)]
                if not all(event.keys() >= REQUIRED_FIELDS for event in events):
                    raise KeyError("eventId")
            except (KeyError, TypeError, AttributeError):
                raise incomplete_answer(stream, query.log_group) from None
            del page  # the consumer drops events as it hands them over: nothing else may keep the page alive
            yield events
            if not token:
                return
            params["nextToken"] = token

    def _failure(self, error: ClientError, query: EventQuery, stream: str, field: str | None) -> Exception:
        failure = self._logs.failure(Action.FILTER_LOG_EVENTS, stream=stream, log_group=query.log_group, field=field)
        return aws_failure(error, failure)


@dataclass(frozen=True)
class FilterLogEventsWindows:
    """A stream's windows read with FilterLogEvents (windows.WindowSource), paced by its quota."""

    events: LogEvents
    query: EventQuery
    stream: str
    setting: str | None = None
    action = Action.FILTER_LOG_EVENTS
    paced = True

    def read(self, start_ms: int, end_ms: int) -> Iterator[list[dict[str, Any]]]:
        return self.events.window(self.query, start_ms, end_ms, stream=self.stream, field=self.setting)

    def probe(self, at_s: int) -> None:
        self.events.probe(self.query)


def incomplete_answer(stream: str, log_group: str) -> UnexpectedAnswer:
    return UnexpectedAnswer(
        f"Stream '{stream}': FilterLogEvents answered for log group '{log_group}' with an event that lacks "
        f"one of {', '.join(sorted(REQUIRED_FIELDS))}, which every CloudWatch event has. The endpoint does not "
        "answer as CloudWatch Logs does: check endpoint_url.",
        internal_message="FilterLogEvents event without a required field",
    )


def _token_rejected(error: ClientError) -> bool:
    message = str(error.response.get("Error", {}).get("Message", ""))
    return error_code(error) == "InvalidParameterException" and "token" in message.lower()
