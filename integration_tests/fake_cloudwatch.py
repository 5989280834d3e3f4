"""A fake CloudWatch Logs HTTP endpoint for tests and benchmarks.

moto (server mode, in this process) does the bookkeeping; a thin WSGI middleware in front of it adds
what moto lacks:

* latency, token-bucket throttling per operation, throttling storms, HTTP 500/503 faults and dropped
  connections, all driven by a mutable :class:`FaultPlan`;
* ``FilterLogEvents`` answered the way AWS answers it (served here from moto's backend data, never
  forwarded): exclusive ``endTime``, interleaving across streams, ``logStreamNamePrefix``,
  ``logGroupIdentifier``, opaque page tokens, empty and partial pages, log classes, access denied;
* ``logGroupClass`` in ``DescribeLogGroups``;
* STS ``AssumeRole`` checked the way IAM checks it (trust policy, ExternalId, MaxSessionDuration), with an
  ``Expiration`` computed from the fake's ``clock`` (optionally only seconds ahead), and the credentials it
  issued enforced on every later call: an expired one or a session token that does not belong to the key is
  refused, as AWS refuses them; unknown keys and bad signatures can be simulated per access key.

Everything else is forwarded to moto unchanged. Seed data with ordinary boto3 calls through the endpoint.
moto keeps its state in module-level backends, so every fake in one process shares the same data.

Filter patterns: only the empty pattern, bare terms and double-quoted phrases are understood (an event
matches when every term occurs in its message, case-sensitively). Any other syntax (``?a``, ``-x``,
``{ $.x = 1 }``, ``[w1, w2]``, ``%re%``) is NOT interpreted: it is split into terms like everything else,
so it usually matches nothing.

Run it as its own process::

    python -m integration_tests.fake_cloudwatch --port 0 --latency 0.08 --rate FilterLogEvents=5

prints ``READY http://127.0.0.1:<port>`` and serves until killed. Control API on the same server:
``GET /_fake/stats`` and ``POST /_fake/plan`` (a JSON object of FaultPlan fields), ``POST /_fake/reset``.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import contextlib
import gzip
import hashlib
import io
import json
import os
import random
import re
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIEnvironment
from xml.sax.saxutils import escape

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import get_account_id_from
from moto.logs.models import LogEvent, LogGroup, logs_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import Client

LOGS_TARGET_PREFIX = "Logs_20140328."
AMZ_JSON = "application/x-amz-json-1.1"
MAX_LIMIT = 10_000
INVALID_TOKEN_MESSAGE = "The specified nextToken is invalid."

# (timestamp, ingestionTime, stream number, index in the stream): the sort key of one event.
_Key = tuple[int, int, int, int]
# What a page token remembers: the last event returned, with the stream as a name.
_Position = tuple[int, int, str, int]


@dataclass
class FaultPlan:
    """What the fake does wrong. Every field may be changed while the fake is serving."""

    latency_s: float = 0.0
    """Sleep this long before answering any AWS call (logs and STS)."""
    rate_limits: dict[str, float] = field(default_factory=dict)
    """Operation name -> requests per second (token bucket, burst max(1, rate)); absent = unlimited."""
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
    deny_groups: set[str] = field(default_factory=set)
    """Log groups on which FilterLogEvents is denied by IAM."""
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
        elif name == "rate_limits":
            value = {str(op): float(rate) for op, rate in value.items()}
        elif name == "role_external_ids":
            value = {str(role): str(external_id) for role, external_id in value.items()}
        elif name == "role_max_session_s":
            value = {str(role): int(seconds) for role, seconds in value.items()}
        setattr(plan, name, value)


class AwsError(Exception):
    """An AWS-shaped JSON error answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def _invalid_parameter(message: str) -> AwsError:
    return AwsError(400, "InvalidParameterException", message)


INVALID_TOKEN_ID_MESSAGE = "The security token included in the request is invalid."
EXPIRED_TOKEN_MESSAGE = "The security token included in the request is expired"
BAD_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details."
)
MAX_SESSION_MESSAGE = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."
# (STS code, STS status, logs code): how each service names a credential problem.
_CREDENTIAL_ERRORS = {
    "invalid": ("InvalidClientTokenId", 403, "UnrecognizedClientException", INVALID_TOKEN_ID_MESSAGE),
    "signature": ("SignatureDoesNotMatch", 403, "InvalidSignatureException", BAD_SIGNATURE_MESSAGE),
    "expired": ("ExpiredToken", 400, "ExpiredTokenException", EXPIRED_TOKEN_MESSAGE),
}


@dataclass(frozen=True)
class Received:
    """One AWS request as the fake received it."""

    operation: str
    params: dict[str, Any]
    access_key: str
    """The access key id of the SigV4 credential scope ("" when unsigned)."""
    headers: dict[str, str]
    """HTTP headers, names lower-cased."""
    at: datetime
    """The fake's clock when the request arrived."""


@dataclass(frozen=True)
class IssuedCredentials:
    """Credentials the fake's STS handed out."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    role_arn: str
    session_name: str
    issued_to: str
    """The access key id that signed the AssumeRole request."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _TokenBucket:
    """Token bucket refilled at ``rate`` tokens/s holding at most max(1, rate) tokens."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = max(1.0, rate)
        self.stamp = time.monotonic()

    def try_take(self, rate: float) -> bool:
        if rate <= 0:
            return False
        capacity = max(1.0, rate)
        now = time.monotonic()
        self.rate = rate
        self.tokens = min(capacity, self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


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
        raise _invalid_parameter(INVALID_TOKEN_MESSAGE) from exc
    if not matches:
        raise _invalid_parameter(INVALID_TOKEN_MESSAGE)
    return position, page


def _aws_json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    reason = {200: "OK", 400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}
    start_response(
        f"{status} {reason.get(status, 'Error')}",
        [
            ("Content-Type", AMZ_JSON),
            ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [data]


def _credential_scope(environ: WSGIEnvironment) -> tuple[str, str]:
    """(access key, region) from a SigV4 Authorization header; ("", "us-east-1") when absent."""
    match = re.search(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    if match is None:
        return "", "us-east-1"
    return match.group(1), match.group(2)


def _account_id(environ: WSGIEnvironment, access_key: str) -> str:
    """The moto account a request belongs to, resolved the way moto resolves it."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if "HTTP_X_MOTO_ACCOUNT_ID" in environ:
        return str(environ["HTTP_X_MOTO_ACCOUNT_ID"])
    return get_account_id_from(access_key) if access_key else DEFAULT_ACCOUNT_ID


def _read_body(environ: WSGIEnvironment) -> bytes:
    """Read the request body and put it back so that moto can read it again."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        body: bytes = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def _parse_json_body(environ: WSGIEnvironment, body: bytes) -> dict[str, Any]:
    if environ.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
        body = gzip.decompress(body)
    try:
        parsed = json.loads(body) if body.strip() else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


class _QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without one log line per request."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class FakeCloudWatch:
    """moto's CloudWatch Logs (and STS) behind a fault-injecting, AWS-faithful WSGI middleware.

    ``calls`` counts every logs and STS request received (throttled and faulted ones included);
    ``throttles`` and ``faults`` (500/503 answers and dropped connections) count the subsets.
    ``requests`` logs (operation, parsed body) unless ``record_requests`` is False (benchmarks); ``received``
    logs the same requests with their signing access key and headers. ``issued_credentials`` lists what STS
    handed out (always kept: the fake enforces their expiry); ``rejections`` counts refused AssumeRole calls and
    refused credentials, by STS error code (ExpiredToken also counts logs calls answered ExpiredTokenException).
    ``clock`` (default: the real UTC time) dates issued credentials and decides when they expire.
    """

    def __init__(self, plan: FaultPlan | None = None, *, record_requests: bool = True) -> None:
        self.plan = plan if plan is not None else FaultPlan()
        self.record_requests = record_requests
        self.calls: Counter[str] = Counter()
        self.throttles: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.received: list[Received] = []
        self.issued_credentials: list[IssuedCredentials] = []
        self.rejections: Counter[str] = Counter()
        self.clock: Callable[[], datetime] = _utc_now
        self._issued: dict[str, IssuedCredentials] = {}
        self.url = ""
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._lock = threading.Lock()
        self._buckets: dict[str, _TokenBucket] = {}
        self._rng_seed = self.plan.seed
        self._rng = random.Random(self._rng_seed)
        self._fault_number = 0
        self._group_indexes: dict[tuple[str, str, str], _GroupIndex] = {}
        self._query_cache: dict[tuple[str, str, str, str], tuple[_GroupIndex, list[_Key]]] = {}
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle -------------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving in a daemon thread; returns the endpoint URL."""
        if self._server is not None:
            return self.url
        self._server = make_server(host, port, self, threaded=True, request_handler=_QuietRequestHandler)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-cloudwatch", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join()
        self._server.server_close()
        self._server = None
        self._thread = None

    def reset(self) -> None:
        """Clear moto's state (all services, this process), the counters, the request logs, issued credentials
        and caches; the clock is the real one again."""
        response = Client(self._moto).post("/moto-api/reset")
        if response.status_code != 200:
            raise RuntimeError(f"moto reset failed: {response.status_code} {response.get_data(as_text=True)}")
        with self._lock:
            self.calls.clear()
            self.throttles.clear()
            self.faults.clear()
            self.requests.clear()
            self.received.clear()
            self.issued_credentials.clear()
            self._issued.clear()
            self.rejections.clear()
            self.clock = _utc_now
            self._buckets.clear()
            self._rng_seed = self.plan.seed
            self._rng = random.Random(self._rng_seed)
            self._fault_number = 0
            self._group_indexes.clear()
            self._query_cache.clear()

    def stats(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {"calls": dict(self.calls), "throttles": dict(self.throttles), "faults": dict(self.faults)}

    def __enter__(self) -> FakeCloudWatch:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ----- WSGI entry point ------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_fake/"):
            return self._control(environ, start_response, path)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        body = _read_body(environ)
        if target.startswith(LOGS_TARGET_PREFIX):
            operation = target[len(LOGS_TARGET_PREFIX) :]
            return self._logs_call(environ, start_response, operation, _parse_json_body(environ, body))
        form = parse_qs(body.decode("utf-8", "replace")) if environ.get("REQUEST_METHOD") == "POST" else {}
        if "Action" in form:  # STS and other query-protocol services: latency, credentials, AssumeRole checks
            params = {key: values[0] for key, values in form.items()}
            self._record(params["Action"], params, environ)
            problem = self._credential_problem(environ)
            self._sleep()
            if problem is not None:
                code, status, _, message = _CREDENTIAL_ERRORS[problem]
                return self._sts_error(start_response, status, code, message)
            if params["Action"] == "AssumeRole":
                return self._assume_role(environ, start_response, params)
            return self._moto(environ, start_response)
        return self._moto(environ, start_response)

    def _logs_call(
        self, environ: WSGIEnvironment, start_response: StartResponse, operation: str, params: dict[str, Any]
    ) -> Iterable[bytes]:
        self._record(operation, params, environ)
        problem = self._credential_problem(environ)  # judged on arrival, before the latency
        self._sleep()
        if problem is not None:
            _, _, code, message = _CREDENTIAL_ERRORS[problem]
            return _aws_json(start_response, 400, {"__type": code, "message": message})
        if self._throttled(operation):
            with self._lock:
                self.throttles[operation] += 1
            return _aws_json(start_response, 400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
        fault = self._draw_fault()
        if fault == "drop":
            with self._lock:
                self.faults[operation] += 1
            self._drop_connection(environ)
        if fault == "error":
            with self._lock:
                self.faults[operation] += 1
                self._fault_number += 1
                first_kind = self._fault_number % 2 == 1
            if first_kind:
                body = {"__type": "InternalFailure", "message": "An internal error occurred."}
                return _aws_json(start_response, 500, body)
            body = {"__type": "ServiceUnavailableException", "message": "The service is unavailable."}
            return _aws_json(start_response, 503, body)
        try:
            if operation == "FilterLogEvents":
                return _aws_json(start_response, 200, self._filter_log_events(environ, params))
        except AwsError as error:
            return _aws_json(start_response, error.status, {"__type": error.code, "message": error.message})
        if operation == "DescribeLogGroups":
            return self._describe_log_groups(environ, start_response)
        if operation == "CreateLogGroup":
            return self._create_log_group(environ, start_response, params)
        return self._moto(environ, start_response)

    # ----- faults ----------------------------------------------------------------------------------------

    def _record(self, operation: str, params: dict[str, Any], environ: WSGIEnvironment) -> None:
        with self._lock:
            self.calls[operation] += 1
            if self.record_requests:
                self.requests.append((operation, params))
                headers = {
                    name[5:].replace("_", "-").lower(): str(value)
                    for name, value in environ.items()
                    if name.startswith("HTTP_")
                }
                if environ.get("CONTENT_TYPE"):
                    headers["content-type"] = str(environ["CONTENT_TYPE"])
                access_key, _ = _credential_scope(environ)
                self.received.append(Received(operation, params, access_key, headers, self.clock()))

    def _sleep(self) -> None:
        if self.plan.latency_s > 0:
            time.sleep(self.plan.latency_s)

    def _throttled(self, operation: str) -> bool:
        if self.plan.throttle_all:
            return True
        rate = self.plan.rate_limits.get(operation)
        if rate is None:
            return False
        with self._lock:
            bucket = self._buckets.setdefault(operation, _TokenBucket(rate))
            return not bucket.try_take(rate)

    def _draw_fault(self) -> str | None:
        plan = self.plan
        if plan.drop_rate <= 0 and plan.error_rate <= 0:
            return None
        with self._lock:
            if plan.seed != self._rng_seed:
                self._rng_seed = plan.seed
                self._rng = random.Random(plan.seed)
            if plan.drop_rate > 0 and self._rng.random() < plan.drop_rate:
                return "drop"
            if plan.error_rate > 0 and self._rng.random() < plan.error_rate:
                return "error"
        return None

    @staticmethod
    def _drop_connection(environ: WSGIEnvironment) -> NoReturn:
        """Close the client's connection before any byte of the response is written.

        Shutting the socket down sends a FIN; raising a ConnectionError then makes werkzeug treat the
        request as a dropped connection (it writes nothing and logs nothing). The client reads EOF where
        the status line should be: botocore raises ConnectionClosedError.
        """
        sock: socket.socket = environ["werkzeug.socket"]
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        raise ConnectionAbortedError("fake CloudWatch dropped the connection")

    # ----- credentials and STS ---------------------------------------------------------------------------

    def _credential_problem(self, environ: WSGIEnvironment) -> str | None:
        """Why AWS would refuse the request's credentials ("invalid", "signature", "expired"), or None."""
        access_key, _ = _credential_scope(environ)
        if not access_key:
            return None
        problem: str | None = None
        if access_key in self.plan.invalid_access_keys:
            problem = "invalid"
        elif access_key in self.plan.bad_signature_keys:
            problem = "signature"
        else:
            with self._lock:
                issued = self._issued.get(access_key)
            if issued is not None:
                if environ.get("HTTP_X_AMZ_SECURITY_TOKEN") != issued.session_token:
                    problem = "invalid"  # a key signed with another session's token: AWS knows no such pair
                elif self.clock() >= issued.expiration:
                    problem = "expired"
        if problem is not None:
            with self._lock:
                self.rejections[_CREDENTIAL_ERRORS[problem][0]] += 1
        return problem

    def _sts_error(self, start_response: StartResponse, status: int, code: str, message: str) -> list[bytes]:
        if code not in {"InvalidClientTokenId", "SignatureDoesNotMatch", "ExpiredToken"}:
            with self._lock:
                self.rejections[code] += 1
        data = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        ).encode()
        reason = {400: "Bad Request", 403: "Forbidden"}
        start_response(
            f"{status} {reason.get(status, 'Error')}",
            [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))],
        )
        return [data]

    def _assume_role(
        self, environ: WSGIEnvironment, start_response: StartResponse, params: dict[str, Any]
    ) -> list[bytes]:
        """IAM's checks, then moto's answer with the fake's Expiration; the credentials are remembered."""
        access_key, _ = _credential_scope(environ)
        account = _account_id(environ, access_key)
        role = str(params.get("RoleArn", ""))
        caller = f"arn:aws:iam::{account}:user/test"
        required_external_id = self.plan.role_external_ids.get(role)
        if role in self.plan.untrusted_roles or (
            required_external_id is not None and params.get("ExternalId") != required_external_id
        ):
            message = f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}"
            return self._sts_error(start_response, 403, "AccessDenied", message)
        duration = int(params.get("DurationSeconds") or 3600)
        maximum = self.plan.role_max_session_s.get(role)
        if maximum is not None and duration > maximum:
            return self._sts_error(start_response, 400, "ValidationError", MAX_SESSION_MESSAGE)

        status, headers, data = self._forward(environ)
        if status.startswith("200"):
            text = data.decode()
            lifetime = self.plan.assume_role_expiry_s
            expiration = self.clock() + timedelta(seconds=duration if lifetime is None else lifetime)
            stamp = expiration.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            text = re.sub(r"<Expiration>[^<]*</Expiration>", f"<Expiration>{stamp}</Expiration>", text)

            def element(tag: str) -> str:
                found = re.search(f"<{tag}>([^<]*)</{tag}>", text)
                return found.group(1) if found else ""

            issued = IssuedCredentials(
                access_key_id=element("AccessKeyId"),
                secret_access_key=element("SecretAccessKey"),
                session_token=element("SessionToken"),
                expiration=expiration,
                role_arn=role,
                session_name=str(params.get("RoleSessionName", "")),
                issued_to=access_key,
            )
            with self._lock:
                self.issued_credentials.append(issued)
                self._issued[issued.access_key_id] = issued
            data = text.encode()
        headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(data)))])
        return [data]

    # ----- forwarded calls that need a touch -------------------------------------------------------------

    def _forward(self, environ: WSGIEnvironment) -> tuple[str, list[tuple[str, str]], bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], object]:
            captured["status"] = status
            captured["headers"] = headers
            return lambda data: None

        chunks = self._moto(environ, capture)
        try:
            data = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return captured["status"], captured["headers"], data

    def _describe_log_groups(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        status, headers, data = self._forward(environ)
        if status.startswith("200"):
            answer = json.loads(data)
            for group in answer.get("logGroups", []):
                infrequent = group.get("logGroupName") in self.plan.infrequent_access_groups
                group["logGroupClass"] = "INFREQUENT_ACCESS" if infrequent else "STANDARD"
            data = json.dumps(answer).encode()
        headers = [(name, value) for name, value in headers if name.lower() != "content-length"]
        start_response(status, [*headers, ("Content-Length", str(len(data)))])
        return [data]

    def _create_log_group(
        self, environ: WSGIEnvironment, start_response: StartResponse, params: dict[str, Any]
    ) -> list[bytes]:
        """Forward, and remember an INFREQUENT_ACCESS class (moto accepts the class but forgets it)."""
        status, headers, data = self._forward(environ)
        if status.startswith("200") and params.get("logGroupClass") == "INFREQUENT_ACCESS":
            self.plan.infrequent_access_groups.add(str(params["logGroupName"]))
        start_response(status, headers)
        return [data]

    # ----- FilterLogEvents -------------------------------------------------------------------------------

    def _filter_log_events(self, environ: WSGIEnvironment, params: dict[str, Any]) -> dict[str, Any]:
        access_key, region = _credential_scope(environ)
        account = _account_id(environ, access_key)
        name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
        if (name is None) == (identifier is None):
            raise _invalid_parameter("Exactly one of logGroupName or logGroupIdentifier must be specified.")
        if identifier is not None:
            account, region, name = self._parse_group_identifier(str(identifier), account, region)
        name = str(name)

        if name in self.plan.deny_groups:
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
        if name in self.plan.infrequent_access_groups:
            raise AwsError(400, "InvalidOperationException", "FilterLogEvents is not supported for this log class.")

        if params.get("logStreamNames") is not None and params.get("logStreamNamePrefix") is not None:
            raise _invalid_parameter("logStreamNames and logStreamNamePrefix are mutually exclusive")
        limit = int(params.get("limit", MAX_LIMIT))
        if not 1 <= limit <= MAX_LIMIT:
            raise _invalid_parameter(
                f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint:"
                f" Member must have value between 1 and {MAX_LIMIT}"
            )
        query = _Query(
            start_time=None if params.get("startTime") is None else int(params["startTime"]),
            end_time=None if params.get("endTime") is None else int(params["endTime"]),
            stream_names=None if params.get("logStreamNames") is None else sorted(params["logStreamNames"]),
            stream_prefix=params.get("logStreamNamePrefix"),
            terms=parse_filter_terms(str(params.get("filterPattern") or "")),
        )
        digest = query.digest(group.arn)

        position: _Position | None = None
        page = 1
        token = params.get("nextToken")
        if token is not None:
            with self._lock:
                reject = self.plan.reject_next_token_once
                self.plan.reject_next_token_once = False
            if reject:
                raise _invalid_parameter(INVALID_TOKEN_MESSAGE)
            position, page = _decode_token(str(token), digest)

        index, keys = self._matching_keys((account, region, name), group, query, digest)
        start = 0
        if position is not None:
            names = index.stream_names
            start = bisect.bisect_right(keys, position, key=lambda k: (k[0], k[1], names[k[2]], k[3]))

        answer: dict[str, Any] = {"events": [], "searchedLogStreams": []}
        every = self.plan.empty_page_every
        if every > 0 and page % every == 0 and start < len(keys):
            if position is None:  # an empty first page still needs a position before everything
                position = (-(2**62), -(2**62), "", -1)
            answer["nextToken"] = _encode_token(digest, position, page + 1)
            return answer

        cap = self.plan.page_event_cap
        size = min(limit, cap) if cap is not None and cap > 0 else limit
        chunk = keys[start : start + size]
        answer["events"] = [self._render(index, key) for key in chunk]
        if chunk and start + len(chunk) < len(keys):
            timestamp, ingestion_time, stream_no, event_no = chunk[-1]
            last = (timestamp, ingestion_time, index.stream_names[stream_no], event_no)
            answer["nextToken"] = _encode_token(digest, last, page + 1)
        return answer

    @staticmethod
    def _parse_group_identifier(identifier: str, account: str, region: str) -> tuple[str, str, str]:
        """A logGroupIdentifier is a group name or a group ARN without the trailing ':*'."""
        if not identifier.startswith("arn:"):
            return account, region, identifier
        match = re.fullmatch(r"arn:[^:]+:logs:([^:]+):(\d{12}):log-group:(.+)", identifier)
        if match is None or match.group(3).endswith(":*"):
            raise _invalid_parameter(f"Invalid logGroupIdentifier: {identifier}")
        return match.group(2), match.group(1), match.group(3)

    @staticmethod
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

    def _group_index(self, cache_key: tuple[str, str, str], group: LogGroup) -> _GroupIndex:
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
        self, cache_key: tuple[str, str, str], group: LogGroup, query: _Query, digest: str
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
            if len(self._query_cache) >= 64:
                self._query_cache.pop(next(iter(self._query_cache)))
            self._query_cache[query_key] = (index, keys)
        return index, keys

    # ----- control API -----------------------------------------------------------------------------------

    def _control(self, environ: WSGIEnvironment, start_response: StartResponse, path: str) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if path == "/_fake/stats" and method == "GET":
                return _aws_json(start_response, 200, self.stats())
            if path == "/_fake/plan" and method == "POST":
                changes = json.loads(_read_body(environ) or b"{}")
                update_plan(self.plan, changes)
                return _aws_json(start_response, 200, {"ok": True})
            if path == "/_fake/reset" and method == "POST":
                self.reset()
                return _aws_json(start_response, 200, {"ok": True})
        except (ValueError, TypeError, AttributeError) as exc:
            return _aws_json(start_response, 400, {"error": str(exc)})
        return _aws_json(start_response, 400, {"error": f"unknown control call {method} {path}"})


def _parse_rate(text: str) -> tuple[str, float]:
    operation, _, rate = text.partition("=")
    if not operation or not rate:
        raise argparse.ArgumentTypeError(f"expected OPERATION=REQUESTS_PER_SECOND, got {text!r}")
    return operation, float(rate)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake CloudWatch Logs endpoint until killed.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds slept per call")
    parser.add_argument(
        "--rate",
        type=_parse_rate,
        action="append",
        default=[],
        help="OPERATION=REQUESTS_PER_SECOND (repeatable)",
    )
    parser.add_argument("--error-rate", type=float, default=0.0)
    parser.add_argument("--drop-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--page-event-cap", type=int, default=None)
    parser.add_argument("--empty-page-every", type=int, default=0)
    args = parser.parse_args(argv)

    plan = FaultPlan(
        latency_s=args.latency,
        rate_limits=dict(args.rate),
        error_rate=args.error_rate,
        drop_rate=args.drop_rate,
        seed=args.seed,
        page_event_cap=args.page_event_cap,
        empty_page_every=args.empty_page_every,
    )
    fake = FakeCloudWatch(plan, record_requests=False)
    url = fake.start(args.host, args.port)
    print(f"READY {url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    sys.exit(main())
