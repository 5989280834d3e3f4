"""What the fake does wrong, on purpose: the :class:`FaultPlan` (changeable while the fake serves, also over
its control API), and the machinery that carries it out for each CloudWatch Logs call: latency, token-bucket
throttling per operation, throttling storms, HTTP 500/503 answers and dropped connections.

The plan's other fields are carried out where the behaviour lives: FilterLogEvents' pages, denials and log
classes in filter_events.py, IAM's checks of AssumeRole and of credentials in fake_sts.py.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Literal, NoReturn
from wsgiref.types import WSGIEnvironment

THROTTLING = {"__type": "ThrottlingException", "message": "Rate exceeded"}
"""The JSON body of AWS's throttling answer (HTTP 400)."""
_SERVER_ERRORS = [
    (500, {"__type": "InternalFailure", "message": "An internal error occurred."}),
    (503, {"__type": "ServiceUnavailableException", "message": "The service is unavailable."}),
]


@dataclass
class FaultPlan:
    """What the fake does wrong. Every field may be changed while the fake is serving."""

    latency_s: float = 0.0
    """Sleep this long before answering any AWS call (logs and STS)."""
    rate_limits: dict[str, float] = field(default_factory=dict)
    """Operation name -> requests per second (token bucket, burst max(1, rate)); absent = unlimited."""
    linked_accounts: dict[str, list[str]] = field(default_factory=dict)
    """Cross-account observability (OAM): monitoring account id -> the source accounts linked to it, whose log
    groups DescribeLogGroups lists with includeLinkedAccounts and FilterLogEvents reads by ARN."""
    describe_ignores_identifiers: bool = False
    """DescribeLogGroups ignores `logGroupIdentifiers` and answers the whole listing, as moto and LocalStack do."""
    lacks_list_log_groups: bool = False
    """ListLogGroups is forwarded to moto, which lacks it (HTTP 500): an endpoint older than the API."""
    neighbour_rps: dict[str, float] = field(default_factory=dict)
    """Operation name -> requests per second another client of the account sends, evenly spaced, taking tokens
    from the same bucket as the connector's calls (and throttled like them when it is empty)."""
    throttle_all: bool = False
    """Every logs call is throttled while True."""
    error_rate: float = 0.0
    """Fraction of logs calls answered with 500 InternalFailure / 503 ServiceUnavailable (alternating)."""
    drop_rate: float = 0.0
    """Fraction of logs calls whose connection is closed without any response."""
    seed: int = 0
    """Seed of the random.Random behind error_rate and drop_rate (re-seeded when changed)."""
    empty_page_every: int = 0
    """FilterLogEvents: every Nth page of a paging sequence is empty but carries a nextToken (1 never ends)."""
    page_event_cap: int | None = None
    """FilterLogEvents: at most this many events per page, whatever the limit."""
    reject_next_token_once: bool = False
    """The next FilterLogEvents call carrying a nextToken fails as if the token expired; then resets."""
    infrequent_access_groups: set[str] = field(default_factory=set)
    """Log groups of class INFREQUENT_ACCESS (FilterLogEvents fails on them)."""
    query_seconds: float = 0.05
    """Logs Insights: a query is Scheduled, then Running, and Complete this long after StartQuery."""
    query_row_cap: int | None = None
    """Logs Insights: at most this many rows per query, whatever its limit (silently, `recordsMatched` true)."""
    max_query_limit: int = 100_000
    """Logs Insights: the largest StartQuery `limit` the endpoint accepts; a larger one answers
    InvalidParameterException ("Value '100000' at 'limit' failed to satisfy constraint: Member must have value less
    than or equal to 10000"). The commercial regions' "limit" page (CWL_QuerySyntax-Limit): "If you omit `limit`,
    the query defaults to returning up to 10,000 log events. You can specify a `limit` value of up to 100,000."; the
    China partition's (docs.amazonaws.cn) still says only "If you omit limit, the query will return as many as
    10,000 log events in the results." Set 10,000 for such an endpoint (lower to keep a test small)."""
    malformed_query_text: str | None = None
    """Logs Insights: StartQuery answers MalformedQueryException for a query containing this text (an endpoint
    whose Logs Insights lacks a function the connector's own queries use, e.g. `toMillis`)."""
    concurrent_query_limit: int = 100
    """Logs Insights: queries of an account that may run at once; StartQuery beyond: LimitExceededException."""
    infrequent_access_query_limit: int = 5
    """Logs Insights: of those, queries on INFREQUENT_ACCESS log groups."""
    neighbour_queries: int = 0
    """Logs Insights: queries another client of the account keeps running (they count against the limit)."""
    limit_exceeded_calls: int = 0
    """Logs Insights: the next N StartQuery calls answer LimitExceededException whatever runs (a storm)."""
    deny_groups: set[str] = field(default_factory=set)
    """Log groups on which FilterLogEvents is denied by IAM."""
    deny_queries: bool = False
    """Logs Insights: StartQuery is denied by IAM (AccessDeniedException, as FilterLogEvents' denial reads)."""
    assume_role_expiry_s: float | None = None
    """AssumeRole issues credentials expiring this many seconds after the fake's clock (None: DurationSeconds)."""
    untrusted_roles: set[str] = field(default_factory=set)
    """Role ARNs whose trust policy does not trust the caller: AssumeRole answers AccessDenied."""
    role_external_ids: dict[str, str] = field(default_factory=dict)
    """Role ARN -> the ExternalId its trust policy requires (sts:ExternalId condition); else AccessDenied."""
    role_max_session_s: dict[str, int] = field(default_factory=dict)
    """Role ARN -> its MaxSessionDuration; a longer DurationSeconds answers ValidationError."""
    invalid_access_keys: set[str] = field(default_factory=set)
    """Access key ids AWS does not know: InvalidClientTokenId (STS) / UnrecognizedClientException (logs)."""
    bad_signature_keys: set[str] = field(default_factory=set)
    """Access key ids sent with a wrong secret key: SignatureDoesNotMatch / InvalidSignatureException."""


_SET_FIELDS = {
    "infrequent_access_groups",
    "deny_groups",
    "untrusted_roles",
    "invalid_access_keys",
    "bad_signature_keys",
}


def update_plan(plan: FaultPlan, changes: dict[str, Any]) -> None:
    """Apply a JSON-style dict of field values to ``plan`` (lists become sets where needed)."""
    known = {f.name for f in fields(FaultPlan)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValueError(f"unknown FaultPlan fields: {unknown}")
    for name, value in changes.items():
        if name in _SET_FIELDS:
            value = set(value)
        elif name == "linked_accounts":
            value = {str(account): [str(source) for source in sources] for account, sources in value.items()}
        elif name in ("rate_limits", "neighbour_rps"):
            value = {str(op): float(rate) for op, rate in value.items()}
        elif name == "role_external_ids":
            value = {str(role): str(external_id) for role, external_id in value.items()}
        elif name == "role_max_session_s":
            value = {str(role): int(seconds) for role, seconds in value.items()}
        setattr(plan, name, value)


class TokenBucket:
    """Token bucket refilled at ``rate`` tokens/s holding at most max(1, rate) tokens, shared with a neighbour
    client that calls every 1/``neighbour_rps`` s (its calls are played out, in time order, before each of ours)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.tokens = max(1.0, rate)
        self._clock = clock
        self.stamp = clock()
        self.neighbour_calls = 0
        self.neighbour_throttles = 0
        self._neighbour_next: float | None = None

    def try_take(self, rate: float, neighbour_rps: float = 0.0) -> bool:
        if rate <= 0:
            return False
        now = self._clock()
        self.rate = rate
        if neighbour_rps > 0:
            interval = 1.0 / neighbour_rps
            if self._neighbour_next is None:
                self._neighbour_next = now
            while self._neighbour_next <= now:
                self._refill(self._neighbour_next)
                self.neighbour_calls += 1
                if self.tokens >= 1.0:
                    self.tokens -= 1.0
                else:
                    self.neighbour_throttles += 1
                self._neighbour_next += interval
        self._refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def _refill(self, at: float) -> None:
        if at > self.stamp:
            self.tokens = min(max(1.0, self.rate), self.tokens + (at - self.stamp) * self.rate)
            self.stamp = at


class FaultInjector:
    """Carries out a plan's latency, throttling, server errors and dropped connections, call by call."""

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self.reset(seed)

    def reset(self, seed: int) -> None:
        """Fresh token buckets, the random draws restarted from `seed`, the 500/503 alternation from 500."""
        with self._lock:
            self._buckets: dict[str, TokenBucket] = {}
            self._seed = seed
            self._rng = random.Random(seed)
            self._server_errors = 0

    @staticmethod
    def sleep(plan: FaultPlan) -> None:
        if plan.latency_s > 0:
            time.sleep(plan.latency_s)

    def throttled(self, plan: FaultPlan, operation: str) -> bool:
        """Whether this call of `operation` is throttled (a storm, or its rate limit's bucket is empty)."""
        if plan.throttle_all:
            return True
        rate = plan.rate_limits.get(operation)
        if rate is None:
            return False
        with self._lock:
            bucket = self._buckets.setdefault(operation, TokenBucket(rate))
            return not bucket.try_take(rate, plan.neighbour_rps.get(operation, 0.0))

    def neighbour(self) -> dict[str, dict[str, int]]:
        """The neighbour client's calls and throttled calls per operation, so far."""
        with self._lock:
            return {
                "calls": {op: b.neighbour_calls for op, b in self._buckets.items() if b.neighbour_calls},
                "throttles": {op: b.neighbour_throttles for op, b in self._buckets.items() if b.neighbour_calls},
            }

    def draw(self, plan: FaultPlan) -> Literal["drop", "error"] | None:
        """Whether this call's connection is dropped, or it gets a server error, or neither."""
        if plan.drop_rate <= 0 and plan.error_rate <= 0:
            return None
        with self._lock:
            if plan.seed != self._seed:
                self._seed = plan.seed
                self._rng = random.Random(plan.seed)
            if plan.drop_rate > 0 and self._rng.random() < plan.drop_rate:
                return "drop"
            if plan.error_rate > 0 and self._rng.random() < plan.error_rate:
                return "error"
        return None

    def server_error(self) -> tuple[int, dict[str, str]]:
        """(HTTP status, JSON body) of the next server error: 500 InternalFailure and 503 ServiceUnavailable
        in turn."""
        with self._lock:
            status, body = _SERVER_ERRORS[self._server_errors % len(_SERVER_ERRORS)]
            self._server_errors += 1
        return status, body

    @staticmethod
    def drop_connection(environ: WSGIEnvironment) -> NoReturn:
        """Close the client's connection before any byte of the response is written.

        Shutting the socket down sends a FIN; raising a ConnectionError then makes werkzeug treat the
        request as a dropped connection (it writes nothing and logs nothing). The client reads EOF where
        the status line should be: botocore raises ConnectionClosedError.
        """
        sock: socket.socket = environ["werkzeug.socket"]
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionAbortedError("fake CloudWatch dropped the connection")
