"""Logs Insights: StartQuery, GetQueryResults and StopQuery, one query at a time per caller, with this API's rules.

- StartQuery and GetQueryResults are paced at their quotas by the shared client (client.py, quotas.py).
- At most `max_concurrent_queries` of this sync's queries run at once (the account's limit is shared with
  dashboards and other tools, and is lower for Infrequent Access log groups). LimitExceededException is retried
  by botocore with backoff, then here, from BUSY_WAIT_S doubling up to BUSY_WAIT_MAX_S, for up to BUSY_DEADLINE_S;
  both waits are the stream's, told to the client's `waits.Waits` (a stream held up says so: statuses.py).
- A query is polled after POLL_FIRST_S, POLL_GROWTH times later each time, up to every POLL_MAX_S, asking for
  POLL_ROWS rows: a Running query answers "only partial results" (GetQueryResults, API Reference), which are
  thrown away, so a poll downloads at most POLL_ROWS of them. The poll that finds it Complete keeps its rows and
  the rest (up to ROW_LIMIT) follow its `nextToken` a page of PAGE_ROWS at a time: no row is downloaded twice.
  (`maxItems` 0 would ask for none, but the documentation does not say what 0 does: it might mean the default,
  10,000, or be refused; 1 means one row under every reading. An endpoint that ignores `maxItems` answers every
  row on every poll and no `nextToken`, which works too.) Proved by unit_tests/aws/test_insights.py and, rows
  counted by the fake, integration_tests/test_insights_rows.py.
- An endpoint whose StartQuery `limit` stops lower (the China partition's documentation still says 10,000) refuses
  ROW_LIMIT with InvalidParameterException naming its maximum: every later query of this LogsInsights (the sync)
  asks for that many rows instead, and `warn` says so once. Fewer rows per query only means more queries: the
  caller pages on `recordsMatched`.
- A query that is not Complete when its caller stops (a failure) is stopped; `stop_all` stops whatever still runs
  when a sync ends, and `stop_running_queries` what every client runs when the process is cancelled (SIGTERM,
  run.py): best effort, never an error of its own. A killed process (SIGKILL) leaves its queries to end by
  themselves, within 60 minutes.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from source_cloudwatch_logs.aws.client import LogsClient
from source_cloudwatch_logs.aws.errors import Action, aws_failure, error_code, query_ended

ROW_LIMIT = 100_000  # StartQuery's largest limit (botocore's model); an account may cap it lower
PAGE_ROWS = 10_000  # GetQueryResults' largest page
POLL_ROWS = 1  # rows a poll asks for: the fewest every reading of `maxItems` gives (see above)
POLL_FIRST_S = 0.25
POLL_GROWTH = 1.5
POLL_MAX_S = 2.0
BUSY_WAIT_S = 5.0  # the first wait after botocore's own retries of LimitExceededException ran out
BUSY_WAIT_MAX_S = 60.0
BUSY_DEADLINE_S = 900.0
DONE_STATUSES = {"Complete", "Failed", "Cancelled", "Timeout", "Unknown"}
# StartQuery's answer when `limit` is above what the endpoint allows (botocore does not check the maximum itself).
_SMALLER_LIMIT = re.compile(
    r"at 'limit' failed to satisfy constraint: Member must have value less than or equal to (\d+)"
)


@dataclass(frozen=True)
class QueryResult:
    rows: list[dict[str, str]]  # field -> value, as Insights returns them (strings); @ptr included
    records_matched: int
    bytes_scanned: int
    limit: int = ROW_LIMIT  # the rows the query was allowed to return

    @property
    def truncated(self) -> bool:
        """More events matched than rows came back."""
        return self.records_matched > len(self.rows)


@dataclass(frozen=True)
class QuerySpec:
    """One query: the log groups (names or ARNs), the query text and the range in epoch seconds, inclusive."""

    groups: tuple[str, ...]
    text: str
    start_s: int
    end_s: int
    limit: int = ROW_LIMIT

    def params(self) -> dict[str, Any]:
        key = "logGroupIdentifiers" if any(group.startswith("arn:") for group in self.groups) else "logGroupNames"
        return {
            key: list(self.groups),
            "queryString": self.text,
            "startTime": self.start_s,
            "endTime": self.end_s,
            "limit": self.limit,
        }


class LogsInsights:
    def __init__(
        self,
        *,
        logs: LogsClient,
        max_queries: int,
        sleep: Callable[[float], None] = time.sleep,
        warn: Callable[[str], None] = lambda text: None,
    ) -> None:
        """`warn`: called once, with a sentence for the user, if the endpoint refuses ROW_LIMIT (any thread)."""
        self._logs = logs
        self._slots = threading.BoundedSemaphore(max_queries)
        self._sleep = sleep
        self._warn = warn
        self._row_limit = ROW_LIMIT  # lowered once if the endpoint allows fewer rows
        self._running: set[str] = set()
        self._lock = threading.Lock()
        _ACTIVE.add(self)

    def run(self, spec: QuerySpec, *, stream: str, log_group: str, field: str | None = None) -> QueryResult:
        """The query's rows once it is complete; an `errors.AwsError` naming the stream (and `field`, the setting the
        query text comes from) if AWS refuses it or it ends otherwise."""
        with self._slots, self._logs.waits.calling(stream):  # its waits for a limit are the stream's (waits.py)
            query_id, limit = self._start(spec, stream=stream, log_group=log_group, field=field)
            finished = False
            try:
                result = self._results(query_id, limit, stream=stream, log_group=log_group)
                finished = True
                return result
            finally:
                with self._lock:
                    self._running.discard(query_id)
                if not finished:
                    self._stop(query_id)

    def start_only(self, spec: QuerySpec) -> None:
        """Start the query and stop it at once: AWS checks the query's syntax and the groups when it starts
        (check). Raises the API's error as is."""
        query_id = str(self._logs.client.start_query(**spec.params())["queryId"])
        self._stop(query_id)

    def stop_all(self) -> None:
        with self._lock:
            running = list(self._running)
            self._running.clear()
        for query_id in running:
            self._stop(query_id)

    def _start(self, spec: QuerySpec, *, stream: str, log_group: str, field: str | None) -> tuple[str, int]:
        """The started query's id and the row limit it was sent."""
        deadline = time.monotonic() + BUSY_DEADLINE_S
        wait = BUSY_WAIT_S
        while True:
            if spec.limit > self._row_limit:
                spec = replace(spec, limit=self._row_limit)
            try:
                query_id = str(self._logs.client.start_query(**spec.params())["queryId"])
            except ClientError as error:
                if error_code(error) == "LimitExceededException" and time.monotonic() + wait < deadline:
                    self._logs.waits.waiting(wait)
                    self._sleep(wait)
                    wait = min(wait * 2, BUSY_WAIT_MAX_S)
                    continue
                if self._lowered(error, spec.limit):
                    continue
                failure = self._logs.failure(Action.START_QUERY, stream=stream, log_group=log_group, field=field)
                raise aws_failure(error, failure) from None
            with self._lock:
                self._running.add(query_id)
            return query_id, spec.limit

    def _lowered(self, error: ClientError, sent: int) -> bool:
        """Whether the endpoint refused `sent` rows for a smaller maximum, which every later query now asks for
        (said once)."""
        match = _SMALLER_LIMIT.search(str(error.response.get("Error", {}).get("Message") or ""))
        if error_code(error) != "InvalidParameterException" or match is None:
            return False
        allowed = int(match.group(1))
        if not 1 <= allowed < sent:
            return False
        with self._lock:
            first = self._row_limit == ROW_LIMIT
            self._row_limit = min(self._row_limit, allowed)
        if first:
            self._warn(
                f"Logs Insights at {self._logs.endpoint} refused StartQuery's limit of {sent} rows "
                f"({error.response['Error']['Message']}): every query of this sync asks for at most {allowed} rows "
                "instead, so windows holding more events take more queries. Nothing is skipped."
            )
        return True

    def _results(self, query_id: str, limit: int, *, stream: str, log_group: str) -> QueryResult:
        get = self._logs.client.get_query_results
        poll = POLL_FIRST_S
        try:
            while True:
                answer = get(queryId=query_id, maxItems=POLL_ROWS)
                status = answer.get("status", "Unknown")
                if status in DONE_STATUSES:
                    break
                self._sleep(poll)
                poll = min(poll * POLL_GROWTH, POLL_MAX_S)
            if status != "Complete":
                raise query_ended(
                    status, self._logs.failure(Action.GET_QUERY_RESULTS, stream=stream, log_group=log_group)
                )
            statistics = answer.get("statistics") or {}
            rows = [_row(row) for row in answer.get("results") or ()]
            while answer.get("nextToken"):
                answer = get(queryId=query_id, maxItems=PAGE_ROWS, nextToken=answer["nextToken"])
                rows.extend(_row(row) for row in answer.get("results") or ())
        except ClientError as error:
            failure = self._logs.failure(Action.GET_QUERY_RESULTS, stream=stream, log_group=log_group)
            raise aws_failure(error, failure) from None
        return QueryResult(
            rows=rows,
            records_matched=int(statistics.get("recordsMatched", len(rows))),
            bytes_scanned=int(statistics.get("bytesScanned", 0)),
            limit=limit,
        )

    def _stop(self, query_id: str) -> None:
        with contextlib.suppress(ClientError, BotoCoreError):  # best effort: it ends by itself within 60 minutes
            self._logs.client.stop_query(queryId=query_id)


def _row(fields: list[dict[str, str]]) -> dict[str, str]:
    return {item["field"]: item.get("value", "") for item in fields}


_ACTIVE: weakref.WeakSet[LogsInsights] = weakref.WeakSet()
STOP_QUERIES_WAIT_S = 2.0


def stop_running_queries() -> None:
    """Stop the queries every client of this process runs, waiting at most STOP_QUERIES_WAIT_S (a cancel)."""
    clients = list(_ACTIVE)

    def stop() -> None:
        for client in clients:
            client.stop_all()

    stopper = threading.Thread(target=stop, daemon=True)
    stopper.start()
    stopper.join(STOP_QUERIES_WAIT_S)
