"""A fake CloudWatch Logs HTTP endpoint for tests, the demo and benchmarks: moto (server mode, in this process)
does the bookkeeping; :class:`FakeCloudWatch`, a WSGI middleware in front of it, adds what moto lacks:

* ``FilterLogEvents`` answered the way AWS answers it, from moto's data (filter_events.py);
* Logs Insights (StartQuery, GetQueryResults, StopQuery) with AWS's lifecycle, caps and limits (fake_insights.py);
* ``logGroupClass`` in ``DescribeLogGroups``, and the INFREQUENT_ACCESS class that moto accepts and forgets;
* ``ListLogGroups``, which moto lacks (list_log_groups.py; ``FaultPlan.lacks_list_log_groups`` forwards it to moto);
* the faults of a mutable :class:`~testkit.faults.FaultPlan` (faults.py);
* STS checked like IAM and credentials enforced like AWS (fake_sts.py);
* a log of every request, counters, and a control API (``GET /_fake/stats``, ``POST /_fake/plan`` with a JSON
  object of FaultPlan fields, ``POST /_fake/reset``) for a fake in another process (server_process.py).

Everything else is forwarded to moto unchanged. Seed data with ordinary boto3 calls through the endpoint
(seeding.py). moto keeps its state in module-level backends, so every fake in one process shares the same data.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from wsgiref.types import StartResponse, WSGIEnvironment

from moto.core import DEFAULT_ACCOUNT_ID
from moto.logs.models import logs_backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import Client

from testkit.aws_http import (
    AwsError,
    account_id,
    aws_error,
    aws_json,
    credential_scope,
    invalid_parameter,
    parse_json_body,
    read_body,
    respond,
)
from testkit.fake_insights import FakeInsights
from testkit.fake_sts import FakeSts, Forwarded, IssuedCredentials
from testkit.faults import THROTTLING, FaultInjector, FaultPlan, update_plan
from testkit.filter_events import FilterLogEvents
from testkit.list_log_groups import list_log_groups
from testkit.seeding import REGION

LOGS_TARGET_PREFIX = "Logs_20140328."


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


class _QuietRequestHandler(MotoRequestHandler):
    """moto's request handler without one log line per request, answering with the fake's clock in `Date`."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        fake = getattr(self.server, "fake", None)
        if timestamp is None and isinstance(fake, FakeCloudWatch):
            timestamp = fake.clock().timestamp()
        return super().date_time_string(timestamp)


class FakeCloudWatch:
    """moto's CloudWatch Logs (and STS) behind a fault-injecting, AWS-faithful WSGI middleware.

    ``calls`` counts every logs and STS request received (throttled and faulted ones included);
    ``throttles`` and ``faults`` (500/503 answers and dropped connections) count the subsets.
    ``requests`` logs (operation, parsed body) unless ``record_requests`` is False (benchmarks); ``received``
    logs the same requests with their signing access key and headers. ``issued_credentials``, ``rejections``
    and ``clock`` are the fake STS's (see fake_sts.py).
    """

    def __init__(self, plan: FaultPlan | None = None, *, record_requests: bool = True) -> None:
        self.plan = plan if plan is not None else FaultPlan()
        self.record_requests = record_requests
        self.calls: Counter[str] = Counter()
        self.throttles: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.received: list[Received] = []
        self.sts = FakeSts()
        self.url = ""
        self._moto: Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]] = DomainDispatcherApplication(
            create_backend_app
        )
        self._lock = threading.Lock()
        self._put_lock = threading.Lock()
        self._injector = FaultInjector(self.plan.seed)
        self._filter = FilterLogEvents()
        self.insights = FakeInsights(self._filter)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def clock(self) -> Callable[[], datetime]:
        """The fake's clock: it dates issued credentials, decides when they expire, stamps `received`, answers
        every request's `Date` header (CloudWatch's clock, which the connector syncs by) and is the
        `ingestionTime` of the events PutLogEvents stores. Set it to a time in the past to play out hours of
        late arrivals in seconds (events must still be within moto's 14 days of the real time)."""
        return self.sts.clock

    @clock.setter
    def clock(self, clock: Callable[[], datetime]) -> None:
        self.sts.clock = clock

    @property
    def issued_credentials(self) -> list[IssuedCredentials]:
        return self.sts.issued_credentials

    @property
    def rejections(self) -> Counter[str]:
        return self.sts.rejections

    # ----- lifecycle -------------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving in a daemon thread; returns the endpoint URL."""
        if self._server is not None:
            return self.url
        self._server = make_server(host, port, self, threaded=True, request_handler=_QuietRequestHandler)
        self._server.fake = self  # type: ignore[attr-defined]
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
        self.sts.reset()
        self._injector.reset(self.plan.seed)
        self._filter.reset()
        self.insights.reset()

    def stats(self) -> dict[str, dict[str, int]]:
        """Counters of the calls received, and `neighbour` (calls, throttles) of the plan's neighbour client."""
        neighbour = self._injector.neighbour()
        with self._lock:
            return {
                "calls": dict(self.calls),
                "throttles": dict(self.throttles),
                "faults": dict(self.faults),
                "neighbour_calls": neighbour["calls"],
                "neighbour_throttles": neighbour["throttles"],
                "insights": {
                    "started": self.insights.stats.started,
                    "refused": self.insights.stats.refused,
                    "stopped": self.insights.stats.stopped,
                    "malformed": self.insights.stats.malformed,
                    "max_running": self.insights.stats.max_running,
                    "bytes_scanned": self.insights.stats.bytes_scanned,
                    "rows_returned": self.insights.stats.rows_returned,
                    "running": self.insights.running(),
                },
            }

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
        body = read_body(environ)
        if target.startswith(LOGS_TARGET_PREFIX):
            operation = target[len(LOGS_TARGET_PREFIX) :]
            return self._logs_call(environ, start_response, operation, parse_json_body(environ, body))
        form = parse_qs(body.decode("utf-8", "replace")) if environ.get("REQUEST_METHOD") == "POST" else {}
        if "Action" in form:  # STS and other query-protocol services: latency, credentials, AssumeRole checks
            params = {key: values[0] for key, values in form.items()}
            self._record(params["Action"], params, environ)
            problem = self.sts.credential_problem(environ, self.plan)
            self._injector.sleep(self.plan)
            if problem is not None:
                return self.sts.refuse_sts_call(start_response, problem)
            if params["Action"] == "AssumeRole":
                return self.sts.assume_role(environ, start_response, params, self.plan, self._forward)
            return self._moto(environ, start_response)
        return self._moto(environ, start_response)

    def _logs_call(
        self, environ: WSGIEnvironment, start_response: StartResponse, operation: str, params: dict[str, Any]
    ) -> Iterable[bytes]:
        self._record(operation, params, environ)
        problem = self.sts.credential_problem(environ, self.plan)  # judged on arrival, before the latency
        self._injector.sleep(self.plan)
        if problem is not None:
            return self.sts.refuse_logs_call(start_response, problem)
        if self._injector.throttled(self.plan, operation):
            with self._lock:
                self.throttles[operation] += 1
            return aws_json(start_response, 400, THROTTLING)
        fault = self._injector.draw(self.plan)
        if fault is not None:
            with self._lock:
                self.faults[operation] += 1
            if fault == "drop":
                self._injector.drop_connection(environ)
            status, body = self._injector.server_error()
            return aws_json(start_response, status, body)
        if operation == "FilterLogEvents":
            access_key, region = credential_scope(environ)
            identifier = str(params.get("logGroupIdentifier") or "")
            arn = re.fullmatch(r"arn:[^:]+:logs:[^:]+:(\d{12}):log-group:.+", identifier)
            if arn and not self._linked(account_id(environ, access_key), arn.group(1)):
                return aws_json(
                    start_response,
                    400,
                    {"__type": "ResourceNotFoundException", "message": "The specified log group does not exist."},
                )
            try:
                answer = self._filter.answer(params, account_id(environ, access_key), region, self.plan)
            except AwsError as error:
                return aws_error(start_response, error)
            return aws_json(start_response, 200, answer)
        if operation in ("StartQuery", "GetQueryResults", "StopQuery"):
            access_key, region = credential_scope(environ)
            caller = account_id(environ, access_key)
            try:
                if operation == "StartQuery":
                    answer = self.insights.start(params, caller, region, self.plan)
                elif operation == "GetQueryResults":
                    answer = self.insights.results(params, caller)
                else:
                    answer = self.insights.stop(params, caller)
            except AwsError as error:
                return aws_error(start_response, error)
            return aws_json(start_response, 200, answer)
        if operation == "DescribeLogGroups":
            return self._describe_log_groups(environ, start_response, params)
        if operation == "ListLogGroups" and not self.plan.lacks_list_log_groups:
            access_key, region = credential_scope(environ)
            try:
                answer = list_log_groups(params, account_id(environ, access_key), region, self.plan)
            except AwsError as error:
                return aws_error(start_response, error)
            return aws_json(start_response, 200, answer)
        if operation == "CreateLogGroup":
            return self._create_log_group(environ, start_response, params)
        if operation == "PutLogEvents":
            return self._put_log_events(environ, start_response, params)
        return self._moto(environ, start_response)

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
                access_key, _ = credential_scope(environ)
                self.received.append(Received(operation, params, access_key, headers, self.clock()))

    # ----- forwarded calls that need a touch -------------------------------------------------------------

    def _forward(self, environ: WSGIEnvironment) -> Forwarded:
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

    def _describe_log_groups(
        self, environ: WSGIEnvironment, start_response: StartResponse, params: dict[str, Any]
    ) -> list[bytes]:
        """moto's answer with the log class; AWS's pattern check of the prefix, and `logGroupIdentifiers`
        (names in the caller's account, ARNs of its own and its linked accounts' groups; at most 50), which moto
        ignores (and so does the fake with `FaultPlan.describe_ignores_identifiers`, as moto and LocalStack do).

        DescribeLogGroups (API Reference), logGroupIdentifiers: "If you are using this operation in a monitoring
        account, you can specify the ARNs of log groups in source accounts and in the monitoring account itself."
        includeLinkedAccounts: "If you are using a monitoring account, set this to true to have the operation
        return log groups in the accounts listed in accountIdentifiers. [...] The default for this parameter is
        false." Whether a source account's ARN is answered without the flag is not said: the fake takes the strict
        reading and answers such an ARN only with `includeLinkedAccounts: true`."""
        prefix = params.get("logGroupNamePrefix")
        if prefix is not None and not re.fullmatch(r"[\.\-_/#A-Za-z0-9]+", str(prefix)):
            return aws_error(
                start_response,
                invalid_parameter(
                    f"1 validation error detected: Value '{prefix}' at 'logGroupNamePrefix' failed to satisfy "
                    "constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
                ),
            )
        identifiers = params.get("logGroupIdentifiers")
        access_key, region = credential_scope(environ)
        caller = account_id(environ, access_key)
        if identifiers is not None and not self.plan.describe_ignores_identifiers:
            if not 1 <= len(identifiers) <= 50:
                return aws_error(start_response, invalid_parameter("logGroupIdentifiers: 1 to 50 names"))
            linked = bool(params.get("includeLinkedAccounts"))
            found = [
                group
                for identifier in sorted(set(identifiers))
                for group in self._group(caller, region, identifier, linked)
            ]
            status, headers, data = "200 OK", [("Content-Type", "application/x-amz-json-1.1")], b""
            answer: dict[str, Any] = {"logGroups": found}
        elif params.get("includeLinkedAccounts"):
            status, headers, data = "200 OK", [("Content-Type", "application/x-amz-json-1.1")], b""
            answer = self._linked_page(caller, region, params)
        else:
            status, headers, data = self._forward(environ)
            answer = json.loads(data) if status.startswith("200") else {}
        if status.startswith("200"):
            for group in answer.get("logGroups", []):
                infrequent = group.get("logGroupName") in self.plan.infrequent_access_groups
                group["logGroupClass"] = "INFREQUENT_ACCESS" if infrequent else "STANDARD"
            data = json.dumps(answer).encode()
        return respond(start_response, status, headers, data)

    def _linked(self, caller: str, account: str) -> bool:
        return account == caller or account in self.plan.linked_accounts.get(caller, [])

    def _group(self, caller: str, region: str, identifier: str, linked: bool) -> list[dict[str, Any]]:
        """The group a logGroupIdentifiers entry names (a name in the caller's account, or an ARN of the caller's
        group, or of a linked account's group when asked with includeLinkedAccounts), as DescribeLogGroups
        describes it; none if it does not exist or is not visible."""
        account, name = caller, identifier
        match = re.fullmatch(r"arn:[^:]+:logs:([^:]+):(\d{12}):log-group:(.+?)(:\*)?", identifier)
        if match:
            region, account, name = match.group(1), match.group(2), match.group(3)
        if account != caller and not (linked and self._linked(caller, account)):
            return []
        group = logs_backends[account][region].groups.get(name)
        return [group.to_describe_dict()] if group is not None else []

    def _linked_page(self, caller: str, region: str, params: dict[str, Any]) -> dict[str, Any]:
        """DescribeLogGroups with includeLinkedAccounts: the caller's groups and those of its linked source
        accounts (narrowed by accountIdentifiers), by name then account, paged with a numeric token."""
        wanted = params.get("accountIdentifiers")
        sources = [a for a in self.plan.linked_accounts.get(caller, []) if not wanted or a in wanted]
        prefix = str(params.get("logGroupNamePrefix") or "")
        groups = [
            group.to_describe_dict()
            for account in [caller, *sources]
            for name, group in logs_backends[account][region].groups.items()
            if name.startswith(prefix)
        ]
        groups.sort(key=lambda g: (g["logGroupName"], g["arn"]))
        start = int(params.get("nextToken") or 0)
        limit = int(params.get("limit") or 50)
        answer: dict[str, Any] = {"logGroups": groups[start : start + limit]}
        if start + limit < len(groups):
            answer["nextToken"] = str(start + limit)
        return answer

    def _create_log_group(
        self, environ: WSGIEnvironment, start_response: StartResponse, params: dict[str, Any]
    ) -> list[bytes]:
        """Forward, and remember an INFREQUENT_ACCESS class (moto accepts the class but forgets it)."""
        status, headers, data = self._forward(environ)
        if status.startswith("200") and params.get("logGroupClass") == "INFREQUENT_ACCESS":
            self.plan.infrequent_access_groups.add(str(params["logGroupName"]))
        start_response(status, headers)
        return [data]

    def _put_log_events(
        self, environ: WSGIEnvironment, start_response: StartResponse, params: dict[str, Any]
    ) -> list[bytes]:
        """Forward, then stamp the stored events' `ingestionTime` with the fake's clock (moto uses the real one)."""
        access_key, region = credential_scope(environ)
        groups = logs_backends[account_id(environ, access_key)][region].groups
        with self._put_lock:
            group = groups.get(str(params.get("logGroupName")))
            stream = group.streams.get(str(params.get("logStreamName"))) if group is not None else None
            before = len(stream.events) if stream is not None else 0
            status, headers, data = self._forward(environ)
            if stream is not None and status.startswith("200"):
                ingested = int(self.clock().timestamp() * 1000)
                for event in stream.events[before:]:
                    event.ingestion_time = ingested
        return respond(start_response, status, headers, data)

    # ----- control API -----------------------------------------------------------------------------------

    def _control(self, environ: WSGIEnvironment, start_response: StartResponse, path: str) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if path == "/_fake/stats" and method == "GET":
                return aws_json(start_response, 200, self.stats())
            if path == "/_fake/plan" and method == "POST":
                changes = json.loads(read_body(environ) or b"{}")
                update_plan(self.plan, changes)
                return aws_json(start_response, 200, {"ok": True})
            if path == "/_fake/reset" and method == "POST":
                self.reset()
                return aws_json(start_response, 200, {"ok": True})
        except (ValueError, TypeError, AttributeError) as exc:
            return aws_json(start_response, 400, {"error": str(exc)})
        return aws_json(start_response, 400, {"error": f"unknown control call {method} {path}"})


def pretend_stored_bytes(groups: Iterable[str], stored_bytes: int) -> None:
    """Makes DescribeLogGroups report `stored_bytes` more for each group (moto reports the sum of message sizes).

    The connector sizes its time windows from storedBytes (`source_cloudwatch_logs.state.TARGET_WINDOW_BYTES`
    of data per window): a large value makes it cut a small test group into many windows, and checkpoint after
    each, as it would for a real busy group. Works on the moto backend of this process (the fake serves from it).
    """
    backend = logs_backends[DEFAULT_ACCOUNT_ID][REGION]
    for name in groups:
        first_stream = next(iter(backend.groups[name].streams.values()))
        first_stream.stored_bytes += stored_bytes
