"""``FilterLogEvents`` answered the way AWS answers it, from moto's backend data (moto's own answer differs).

What AWS does and moto does not: ``endTime`` is exclusive; events of all log streams interleave by timestamp
(then ingestion time); ``logStreamNamePrefix`` and ``logGroupIdentifier`` (a name or an ARN) are understood;
page tokens are opaque, bound to the query, and rejected when they are not; pages may be empty yet carry a
``nextToken``; event IDs are stable digit strings. The fault plan adds: empty pages every Nth page, a cap on
the events of a page (AWS's 1 MB page limit), a token rejected once (an expired token), IAM denials and
log groups of the INFREQUENT_ACCESS class.

Filter patterns: only the empty pattern, bare terms and double-quoted phrases are understood (an event
matches when every term occurs in its message, case-sensitively). Any other syntax (``?a``, ``-x``,
``{ $.x = 1 }``, ``[w1, w2]``, ``%re%``) is NOT interpreted: it is split into terms like everything else,
so it usually matches nothing.
"""

from __future__ import annotations

import base64
import bisect
import hashlib
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

from moto.logs.models import LogEvent, LogGroup, logs_backends

from testkit.aws_http import AwsError, invalid_parameter
from testkit.faults import FaultPlan

MAX_LIMIT = 10_000
INVALID_TOKEN_MESSAGE = "The specified nextToken is invalid."
_QUERY_CACHE_SIZE = 64

# (timestamp, ingestionTime, stream number, index in the stream): the sort key of one event.
_Key = tuple[int, int, int, int]
# What a page token remembers: the last event returned, with the stream as a name.
_Position = tuple[int, int, str, int]
# (account, region, log group name)
_GroupKey = tuple[str, str, str]


@dataclass
class _GroupIndex:
    """Every event of one log group, sorted; refers to moto's own (append-only) event lists."""

    version: tuple[Any, ...]
    stream_names: list[str]
    stream_events: list[list[LogEvent]]
    stream_ids: list[int]
    keys: list[_Key]


@dataclass
class _Query:
    """The FilterLogEvents parameters that select events (everything but limit and nextToken)."""

    start_time: int | None
    end_time: int | None
    stream_names: list[str] | None
    stream_prefix: str | None
    terms: list[str]

    def digest(self, group_arn: str) -> str:
        text = json.dumps(
            [group_arn, self.start_time, self.end_time, self.stream_names, self.stream_prefix, self.terms]
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def check_filter_pattern(pattern: str) -> None:
    """AWS refuses a filter pattern whose quotes, braces or brackets do not pair up (moto accepts anything)."""
    balanced = pattern.count('"') % 2 == 0 and pattern.count("{") == pattern.count("}")
    if not balanced or pattern.count("[") != pattern.count("]"):
        raise invalid_parameter(f"Invalid character(s) in term '{pattern}'")


def parse_filter_terms(pattern: str) -> list[str]:
    """Split a filter pattern into its terms: double-quoted phrases and whitespace-separated words."""
    terms = [phrase if phrase else word for phrase, word in re.findall(r'"([^"]*)"|(\S+)', pattern)]
    return [term for term in terms if term]


def _stream_id(name: str) -> int:
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")


def _event_id(timestamp: int, stream_id: int, index: int) -> str:
    """A 56-digit id, unique per event in its group and the same on every call."""
    return f"{max(timestamp, 0):016d}{stream_id:020d}{index:020d}"


def _encode_token(query_digest: str, position: _Position, page: int) -> str:
    payload = json.dumps({"q": query_digest, "k": list(position), "p": page}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode()


def _decode_token(token: str, query_digest: str) -> tuple[_Position, int]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(token.encode()))
        timestamp, ingestion_time, stream_name, index = payload["k"]
        position = (int(timestamp), int(ingestion_time), str(stream_name), int(index))
        page = int(payload["p"])
        matches = payload["q"] == query_digest
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise invalid_parameter(INVALID_TOKEN_MESSAGE) from exc
    if not matches:
        raise invalid_parameter(INVALID_TOKEN_MESSAGE)
    return position, page


def _parse_group_identifier(identifier: str, account: str, region: str) -> tuple[str, str, str]:
    """A logGroupIdentifier is a group name or a group ARN without the trailing ':*'."""
    if not identifier.startswith("arn:"):
        return account, region, identifier
    match = re.fullmatch(r"arn:[^:]+:logs:([^:]+):(\d{12}):log-group:(.+)", identifier)
    if match is None or match.group(3).endswith(":*"):
        raise invalid_parameter(f"Invalid logGroupIdentifier: {identifier}")
    return match.group(2), match.group(1), match.group(3)


def _render(index: _GroupIndex, key: _Key) -> dict[str, Any]:
    timestamp, ingestion_time, stream_no, event_no = key
    event = index.stream_events[stream_no][event_no]
    return {
        "logStreamName": index.stream_names[stream_no],
        "timestamp": timestamp,
        "message": event.message,
        "ingestionTime": ingestion_time,
        "eventId": _event_id(timestamp, index.stream_ids[stream_no], event_no),
    }


class FilterLogEvents:
    """Answers FilterLogEvents calls; keeps sorted indexes of the groups and the latest queries' results,
    rebuilt when a group changes (new streams or events)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._group_indexes: dict[_GroupKey, _GroupIndex] = {}
        self._query_cache: dict[tuple[str, str, str, str], tuple[_GroupIndex, list[_Key]]] = {}

    def reset(self) -> None:
        with self._lock:
            self._group_indexes.clear()
            self._query_cache.clear()

    def answer(self, params: dict[str, Any], account: str, region: str, plan: FaultPlan) -> dict[str, Any]:
        """The answer to a call with `params`, made with credentials of `account` in `region`."""
        name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
        if (name is None) == (identifier is None):
            raise invalid_parameter("Exactly one of logGroupName or logGroupIdentifier must be specified.")
        if identifier is not None:
            account, region, name = _parse_group_identifier(str(identifier), account, region)
        name = str(name)

        if name in plan.deny_groups:
            raise AwsError(
                400,
                "AccessDeniedException",
                f"User: arn:aws:iam::{account}:user/test is not authorized to perform: logs:FilterLogEvents"
                f" on resource: arn:aws:logs:{region}:{account}:log-group:{name}:log-stream:"
                " because no identity-based policy allows the logs:FilterLogEvents action",
            )
        group = logs_backends[account][region].groups.get(name)
        if group is None:
            raise AwsError(400, "ResourceNotFoundException", "The specified log group does not exist.")
        if name in plan.infrequent_access_groups:
            raise AwsError(400, "InvalidOperationException", "FilterLogEvents is not supported for this log class.")

        if params.get("logStreamNames") is not None and params.get("logStreamNamePrefix") is not None:
            raise invalid_parameter("logStreamNames and logStreamNamePrefix are mutually exclusive")
        limit = int(params.get("limit", MAX_LIMIT))
        if not 1 <= limit <= MAX_LIMIT:
            raise invalid_parameter(
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint:"
                f" Member must have value between 1 and {MAX_LIMIT}"
            )
        pattern = str(params.get("filterPattern") or "")
        check_filter_pattern(pattern)
        query = _Query(
            start_time=None if params.get("startTime") is None else int(params["startTime"]),
            end_time=None if params.get("endTime") is None else int(params["endTime"]),
            stream_names=None if params.get("logStreamNames") is None else sorted(params["logStreamNames"]),
            stream_prefix=params.get("logStreamNamePrefix"),
            terms=parse_filter_terms(pattern),
        )
        digest = query.digest(group.arn)

        position: _Position | None = None
        page = 1
        token = params.get("nextToken")
        if token is not None:
            with self._lock:
                reject = plan.reject_next_token_once
                plan.reject_next_token_once = False
            if reject:
                raise invalid_parameter(INVALID_TOKEN_MESSAGE)
            position, page = _decode_token(str(token), digest)

        index, keys = self._matching_keys((account, region, name), group, query, digest)
        start = 0
        if position is not None:
            names = index.stream_names
            start = bisect.bisect_right(keys, position, key=lambda k: (k[0], k[1], names[k[2]], k[3]))

        answer: dict[str, Any] = {"events": [], "searchedLogStreams": []}
        every = plan.empty_page_every
        if every > 0 and page % every == 0 and start < len(keys):
            if position is None:  # an empty first page still needs a position before everything
                position = (-(2**62), -(2**62), "", -1)
            answer["nextToken"] = _encode_token(digest, position, page + 1)
            return answer

        cap = plan.page_event_cap
        size = min(limit, cap) if cap is not None and cap > 0 else limit
        chunk = keys[start : start + size]
        answer["events"] = [_render(index, key) for key in chunk]
        if chunk and start + len(chunk) < len(keys):
            timestamp, ingestion_time, stream_no, event_no = chunk[-1]
            last = (timestamp, ingestion_time, index.stream_names[stream_no], event_no)
            answer["nextToken"] = _encode_token(digest, last, page + 1)
        return answer

    def events_between(self, account: str, region: str, name: str, start: int, end: int) -> list[dict[str, Any]]:
        """Every event of the group with `start <= timestamp < end`, sorted, rendered as FilterLogEvents does
        (Logs Insights reads the same data)."""
        group = logs_backends[account][region].groups.get(name)
        if group is None:
            raise AwsError(400, "ResourceNotFoundException", "The specified log group does not exist.")
        index = self._group_index((account, region, name), group)
        lo = bisect.bisect_left(index.keys, start, key=lambda k: k[0])
        hi = bisect.bisect_left(index.keys, end, key=lambda k: k[0])
        return [_render(index, key) for key in index.keys[lo:hi]]

    def _group_index(self, cache_key: _GroupKey, group: LogGroup) -> _GroupIndex:
        """The sorted events of ``group``, rebuilt only when a stream or its event count changed."""
        streams = sorted(group.streams.items())
        # The index keeps moto's event lists alive, so their ids cannot be reused while it is cached.
        version = tuple((name, id(stream.events), len(stream.events)) for name, stream in streams)
        with self._lock:
            cached = self._group_indexes.get(cache_key)
        if cached is not None and cached.version == version:
            return cached
        keys: list[_Key] = []
        for stream_no, (_, stream) in enumerate(streams):
            events = stream.events
            keys.extend(
                (events[i].timestamp, events[i].ingestion_time, stream_no, i) for i in range(version[stream_no][2])
            )
        keys.sort()
        index = _GroupIndex(
            version=version,
            stream_names=[name for name, _ in streams],
            stream_events=[stream.events for _, stream in streams],
            stream_ids=[_stream_id(name) for name, _ in streams],
            keys=keys,
        )
        with self._lock:
            self._group_indexes[cache_key] = index
        return index

    def _matching_keys(
        self, cache_key: _GroupKey, group: LogGroup, query: _Query, digest: str
    ) -> tuple[_GroupIndex, list[_Key]]:
        """The sorted keys of the events ``query`` selects, cached until the group changes."""
        index = self._group_index(cache_key, group)
        query_key = (*cache_key, digest)
        with self._lock:
            cached = self._query_cache.get(query_key)
        if cached is not None and cached[0] is index:
            return cached

        lo = 0 if query.start_time is None else bisect.bisect_left(index.keys, query.start_time, key=lambda k: k[0])
        hi = len(index.keys)
        if query.end_time is not None:
            hi = bisect.bisect_left(index.keys, query.end_time, key=lambda k: k[0])
        keys = index.keys[lo : max(lo, hi)]
        if query.stream_names is not None or query.stream_prefix is not None:
            wanted = set(query.stream_names or [])
            prefix = query.stream_prefix
            allowed = {
                stream_no
                for stream_no, stream_name in enumerate(index.stream_names)
                if (stream_name in wanted if prefix is None else stream_name.startswith(prefix))
            }
            keys = [key for key in keys if key[2] in allowed]
        if query.terms:
            terms = query.terms
            events = index.stream_events
            keys = [key for key in keys if all(term in events[key[2]][key[3]].message for term in terms)]

        with self._lock:
            if len(self._query_cache) >= _QUERY_CACHE_SIZE:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[query_key] = (index, keys)
        return index, keys
