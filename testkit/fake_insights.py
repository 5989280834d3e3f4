"""Logs Insights (StartQuery, GetQueryResults, StopQuery) answered the way AWS answers them, from moto's data.

moto runs a query synchronously and honours only `fields`, `sort` and `limit`. Here, as on AWS:
- a query is Scheduled, then Running, then Complete (`FaultPlan.query_seconds` after StartQuery), or Cancelled by
  StopQuery; GetQueryResults answers the status; while Running, the rows found so far (API Reference,
  GetQueryResults: "If the value of the Status field in the output is Running, this operation returns only
  partial results"; here a share of the rows growing with the time run), none while Scheduled, all once Complete;
- GetQueryResults `maxItems` is "The maximum number of log events to return in the response" (at most 10,000;
  absent: 10,000; 0, on which the documentation is silent, is read like absent); "Use the nextToken returned in
  the response to request additional pages of results, with each page returning up to 10,000 log events";
  `InsightsStats.rows_returned` counts every row any answer carried (what a client downloaded);
- times are epoch seconds, both ends inclusive; `limit` goes to 100,000 (`FaultPlan.max_query_limit`: an
  endpoint whose limit is still 10,000 refuses more with InvalidParameterException); `FaultPlan.query_row_cap` caps the rows of every query
  lower without a word (only `recordsMatched` tells);
- `statistics.recordsMatched` counts every event the filters matched, however many rows came back;
  `bytesScanned` counts the bytes of the events in the time range of every group the query names (each message's
  UTF-8 bytes plus 26), whatever the filters keep: QueryStatistics, "bytesScanned: The total number of bytes in the
  log events scanned during the query", and a query scans its groups' events in its time range;
- a query names up to 50 log groups (`logGroupName`, `logGroupNames` or `logGroupIdentifiers`, names or ARNs;
  StartQuery: "The list of log groups to query. You can include up to 50 log groups."); each event's `@log` is `<account-id>:<log-group-name>`;
- every row carries `@ptr`, different on every query (AWS does not promise a stable one: nothing may rely on it);
- at most `FaultPlan.concurrent_query_limit` queries of an account run at once (plus
  `FaultPlan.neighbour_queries` another client holds), at most `infrequent_access_query_limit` of them on
  INFREQUENT_ACCESS groups; beyond, and for the next `FaultPlan.limit_exceeded_calls` StartQuery calls,
  LimitExceededException;
- a syntax error is a MalformedQueryException (insights_query.py understands a subset of the language), and so
  is a query containing `FaultPlan.malformed_query_text` (an endpoint lacking a function).
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from testkit.aws_http import AwsError, invalid_parameter
from testkit.faults import FaultPlan
from testkit.filter_events import FilterLogEvents, _parse_group_identifier
from testkit.insights_query import compile_query, malformed

MAX_LIMIT = 100_000
PAGE_ROWS = 10_000
EVENT_OVERHEAD_BYTES = 26


@dataclass
class _Query:
    account: str
    infrequent: bool
    started: float
    done_at: float
    rows: list[dict[str, str]]
    statistics: dict[str, float]
    cancelled: bool = False
    served: bool = False

    def status(self, now: float) -> str:
        if self.cancelled:
            return "Cancelled"
        if now >= self.done_at:
            return "Complete"
        return "Scheduled" if now < self._running_from else "Running"

    @property
    def _running_from(self) -> float:
        return self.started + (self.done_at - self.started) / 3

    def found(self, now: float) -> int:
        """How many rows the query has found by `now`: none while Scheduled, a growing share while Running."""
        status = self.status(now)
        if status == "Complete":
            return len(self.rows)
        if status != "Running":
            return 0
        share = (now - self._running_from) / (self.done_at - self._running_from)
        return min(len(self.rows), max(1, int(len(self.rows) * share)))


@dataclass
class InsightsStats:
    started: int = 0
    refused: int = 0  # LimitExceededException answers
    stopped: int = 0
    malformed: int = 0
    max_running: int = 0
    bytes_scanned: int = 0
    rows_returned: int = 0  # rows every GetQueryResults answer carried, partial ones too
    statuses: Counter[str] = field(default_factory=Counter)  # the statuses GetQueryResults answered


class FakeInsights:
    def __init__(self, events: FilterLogEvents) -> None:
        self._events = events
        self._queries: dict[str, _Query] = {}
        self._lock = threading.Lock()
        self.stats = InsightsStats()

    def reset(self) -> None:
        with self._lock:
            self._queries.clear()
            self.stats = InsightsStats()

    def start(self, params: dict[str, Any], account: str, region: str, plan: FaultPlan) -> dict[str, Any]:
        names = _group_names(params)
        if plan.deny_queries:
            raise AwsError(
                400,
                "AccessDeniedException",
                f"User: arn:aws:iam::{account}:user/test is not authorized to perform: logs:StartQuery on resource: "
                f"arn:aws:logs:{region}:{account}:log-group:{names[0]}:* because no identity-based policy allows the "
                "logs:StartQuery action",
            )
        start, end = int(params.get("startTime", -1)), int(params.get("endTime", -1))
        if start < 0 or end < start:
            raise invalid_parameter("startTime must be at most endTime, both epoch seconds")
        limit = int(params.get("limit", PAGE_ROWS))
        allowed = min(MAX_LIMIT, plan.max_query_limit)
        if limit < 1:
            raise invalid_parameter("limit must be at least 1")
        if limit > allowed:
            raise invalid_parameter(
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must "
                f"have value less than or equal to {allowed}"
            )
        try:
            text = str(params.get("queryString", ""))
            if plan.malformed_query_text and plan.malformed_query_text in text:
                raise malformed(f"unexpected symbol found {plan.malformed_query_text} at line 1 and position 1")
            query = compile_query(text)
        except AwsError:
            with self._lock:
                self.stats.malformed += 1
            raise
        scanned = []
        infrequent = False
        for identifier in names:
            group_account, group_region, name = _parse_group_identifier(identifier, account, region)
            infrequent = infrequent or name in plan.infrequent_access_groups
            for event in self._events.events_between(
                group_account, group_region, name, start * 1000, end * 1000 + 1000
            ):
                event["logGroup"] = f"{group_account}:{name}"
                scanned.append(event)
        with self._lock:
            now = time.monotonic()
            running = [q for q in self._queries.values() if q.account == account and q.status(now) != "Complete"]
            running = [q for q in running if not q.cancelled]
            infrequent_running = sum(q.infrequent for q in running)
            refuse = plan.limit_exceeded_calls > 0
            if refuse:
                plan.limit_exceeded_calls -= 1
            over = len(running) + plan.neighbour_queries >= plan.concurrent_query_limit
            over = over or (infrequent and infrequent_running >= plan.infrequent_access_query_limit)
            if refuse or over:
                self.stats.refused += 1
                raise AwsError(
                    400,
                    "LimitExceededException",
                    f"Account maximum query concurrency limit of [{plan.concurrent_query_limit}] reached.",
                )
        matched = [event for event in scanned if query.matches(event)]
        cap = min(limit, plan.query_row_cap) if plan.query_row_cap else limit
        rows = query.rows(matched, cap)
        for row in rows:
            if query.stats_by is None:
                row["@ptr"] = uuid.uuid4().hex  # a new pointer on every query
        statistics = {
            "recordsMatched": float(len(matched)),
            "recordsScanned": float(len(scanned)),
            "bytesScanned": float(sum(len(e["message"].encode()) + EVENT_OVERHEAD_BYTES for e in scanned)),
        }
        query_id = str(uuid.uuid4())
        with self._lock:
            now = time.monotonic()
            self._queries[query_id] = _Query(account, infrequent, now, now + plan.query_seconds, rows, statistics)
            self.stats.started += 1
            self.stats.bytes_scanned += int(statistics["bytesScanned"])
            running_now = sum(
                1 for q in self._queries.values() if q.account == account and q.status(now) in ("Scheduled", "Running")
            )
            self.stats.max_running = max(self.stats.max_running, running_now)
        return {"queryId": query_id}

    def results(self, params: dict[str, Any], account: str) -> dict[str, Any]:
        query = self._query(params, account)
        with self._lock:
            now = time.monotonic()
            status = query.status(now)
            found = query.found(now)
            self.stats.statuses[status] += 1
        answer: dict[str, Any] = {"status": status, "results": [], "statistics": {}}
        if status not in ("Running", "Complete"):
            return answer
        size = min(int(params.get("maxItems") or PAGE_ROWS), PAGE_ROWS)
        offset = int(params.get("nextToken") or 0)
        page = query.rows[offset : min(offset + size, found)]
        answer["results"] = [[{"field": name, "value": value} for name, value in row.items()] for row in page]
        if status == "Complete":
            answer["statistics"] = query.statistics
        if offset + size < found:
            answer["nextToken"] = str(offset + size)
        with self._lock:
            self.stats.rows_returned += len(page)
        return answer

    def stop(self, params: dict[str, Any], account: str) -> dict[str, Any]:
        query = self._query(params, account)
        with self._lock:
            if query.status(time.monotonic()) in ("Scheduled", "Running"):
                query.cancelled = True
                self.stats.stopped += 1
                return {"success": True}
        return {"success": False}

    def running(self) -> int:
        with self._lock:
            now = time.monotonic()
            return sum(1 for q in self._queries.values() if q.status(now) in ("Scheduled", "Running"))

    def _query(self, params: dict[str, Any], account: str) -> _Query:
        with self._lock:
            query = self._queries.get(str(params.get("queryId")))
        if query is None or query.account != account:
            raise AwsError(400, "ResourceNotFoundException", "The query does not exist.")
        return query


def _group_names(params: dict[str, Any]) -> list[str]:
    given = [
        key for key in ("logGroupName", "logGroupNames", "logGroupIdentifiers") if params.get(key) not in (None, [])
    ]
    if len(given) != 1:
        raise invalid_parameter("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers is required.")
    value = params[given[0]]
    names = [value] if isinstance(value, str) else list(value)
    if len(names) > 50:
        raise invalid_parameter("A query can name at most 50 log groups.")
    return list(itertools.chain(str(name) for name in names))
