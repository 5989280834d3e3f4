"""A fast CloudWatch Logs fake for measuring the connector's own CPU cost and its pacing: log groups whose events
are serialised once, up front; FilterLogEvents pages are slices of that, joined per request, at most 10,000
events and 1 MB each as AWS pages them (no moto, no per-request JSON encoding). Optionally a latency per call, a
FilterLogEvents quota (token bucket) and a neighbour client that takes part of it, as testkit's fake has them.
Run as its own process: `python -m benchmarks.fast_fake --events 1000000 [--groups 10 --latency-s 0.3
--rate 25 --neighbour-rps 10]`; `GET /_stats` answers the counters, with the calls needed: the pages of every
time window the connector asked for, its last partial page (or the one empty page of an empty window) counted as
the call AWS needs for it, and the pages of each group read in one sequence, the least any reading needs."""

from __future__ import annotations

import argparse
import bisect
import itertools
import json
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from benchmarks.scenario import GroupPlan, events_for
from source_cloudwatch_logs.ranges import PAGE_BYTES
from testkit.faults import THROTTLING, TokenBucket
from testkit.seeding import DAY
from testkit.server_process import READY

GROUP = "/aws/apigateway/fast"


class Pages:
    def __init__(self, count: int, now_ms: int) -> None:
        events = sorted(events_for(GroupPlan(GROUP, "apigw-rest", count), now_ms, seed=3))
        rng = random.Random(5)
        self.timestamps = [ts for ts, _ in events]
        self.serialised = [
            json.dumps(
                {
                    "logStreamName": f"2026/11/{rng.randint(1, 22):02d}/[$LATEST]{i % 16:x}",
                    "timestamp": ts,
                    "message": message,
                    "ingestionTime": ts + 150,
                    "eventId": f"{ts:d}{i:020d}",
                },
                separators=(",", ":"),
            ).encode()
            for i, (ts, message) in enumerate(events)
        ]
        self.stored_bytes = sum(len(s) for s in self.serialised)
        self.cumulative = [0, *itertools.accumulate(len(s) + 1 for s in self.serialised)]
        self.creation_ms = now_ms - 14 * DAY
        self.groups = [GROUP]

    def describe(self) -> bytes:
        groups = [
            {
                "logGroupName": name,
                "creationTime": self.creation_ms,
                "storedBytes": self.stored_bytes,
                "arn": f"arn:aws:logs:us-east-1:123456789012:log-group:{name}:*",
                "logGroupClass": "STANDARD",
            }
            for name in self.groups
        ]
        return json.dumps({"logGroups": groups}).encode()

    def pages_per_group(self) -> int:
        """FilterLogEvents calls that page through one whole group (limit 10,000)."""
        return self.pages_between(0, 2**62)

    def pages_between(self, start_ms: int, end_ms: int) -> int:
        """FilterLogEvents calls that page through one group's window `[start_ms, end_ms)` (limit 10,000): at least
        one, the last page partial, as AWS answers them."""
        offset = bisect.bisect_left(self.timestamps, start_ms)
        end = bisect.bisect_left(self.timestamps, end_ms)
        calls = 1
        while (offset := self._stop(offset, end, 10_000)) < end:
            calls += 1
        return calls

    def _stop(self, offset: int, end: int, limit: int) -> int:
        by_bytes = bisect.bisect_right(self.cumulative, self.cumulative[offset] + PAGE_BYTES) - 1
        return max(offset + 1, min(end, offset + limit, by_bytes))

    def filter(self, body: dict[str, object]) -> bytes:
        start = bisect.bisect_left(self.timestamps, int(body.get("startTime", 0)))  # type: ignore[call-overload]
        end = bisect.bisect_left(self.timestamps, int(body.get("endTime", 2**62)))  # type: ignore[call-overload]
        offset = int(body.get("nextToken", start))  # type: ignore[call-overload]
        limit = int(body.get("limit", 10_000))  # type: ignore[call-overload]
        stop = self._stop(offset, end, limit) if offset < end else end
        page = b'{"events":[' + b",".join(self.serialised[offset:stop]) + b'],"searchedLogStreams":[]'
        if stop < end:
            page += b',"nextToken":"' + str(stop).encode() + b'"'
        return page + b"}"


class Quota:
    """Latency per call, and the FilterLogEvents token bucket shared with a neighbour client, with counters."""

    def __init__(self, latency_s: float, rate: float | None, neighbour_rps: float) -> None:
        self.latency_s = latency_s
        self.rate = rate
        self.neighbour_rps = neighbour_rps
        self.bucket = TokenBucket(rate) if rate else None
        self.calls = 0
        self.throttles = 0
        self.first_call: float | None = None
        self.windows: set[tuple[str, int, int]] = set()  # (group, startTime, endTime) asked for
        self.last_answer: float | None = None
        self._lock = threading.Lock()

    def admit(self, body: dict[str, object]) -> bool:
        """Counts a FilterLogEvents call and the window it reads; False when it is throttled."""
        with self._lock:
            self.calls += 1
            start, end = body.get("startTime", 0), body.get("endTime", 2**62)
            self.windows.add((str(body.get("logGroupName", "")), int(str(start)), int(str(end))))
            self.first_call = self.first_call or time.monotonic()
            if self.bucket is not None and self.rate and not self.bucket.try_take(self.rate, self.neighbour_rps):
                self.throttles += 1
                return False
            return True

    def answered(self) -> None:
        with self._lock:
            self.last_answer = time.monotonic()

    def stats(self) -> bytes:
        with self._lock:
            span = (self.last_answer or 0) - (self.first_call or 0)
            neighbour = self.bucket.neighbour_calls if self.bucket else 0
            neighbour_throttles = self.bucket.neighbour_throttles if self.bucket else 0
            return json.dumps(
                {
                    "calls": self.calls,
                    "throttles": self.throttles,
                    "paging_s": span,
                    "neighbour_calls": neighbour,
                    "neighbour_throttles": neighbour_throttles,
                }
            ).encode()


def serve(pages: Pages, port: int, quota: Quota) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            stats = json.loads(quota.stats())
            stats["calls_in_one_sequence"] = len(pages.groups) * pages.pages_per_group()
            stats["calls_needed"] = sum(pages.pages_between(start, end) for _, start, end in quota.windows)
            self._answer(200, json.dumps(stats).encode())

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            target = self.headers.get("X-Amz-Target", "")
            if quota.latency_s:
                time.sleep(quota.latency_s)
            if target.endswith("FilterLogEvents"):
                if not quota.admit(body):
                    self._answer(400, json.dumps(THROTTLING).encode())
                    return
                answer = pages.filter(body)
                quota.answered()
            elif target.endswith("DescribeLogGroups"):
                answer = pages.describe()
            else:
                answer = b'{"__type":"UnknownOperationException"}'
            self._answer(200 if not answer.startswith(b'{"__type"') else 400, answer)

        def _answer(self, status: int, answer: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--now-ms", type=int, required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--groups", type=int, default=1, help="log groups, each holding the same events")
    parser.add_argument("--latency-s", type=float, default=0.0)
    parser.add_argument("--rate", type=float, default=None, help="FilterLogEvents quota per second")
    parser.add_argument("--neighbour-rps", type=float, default=0.0)
    args = parser.parse_args()
    pages = Pages(args.events, args.now_ms)
    if args.groups > 1:
        pages.groups = [f"{GROUP}-{n:02d}" for n in range(args.groups)]
    server = serve(pages, args.port, Quota(args.latency_s, args.rate, args.neighbour_rps))
    print(f"{READY}http://127.0.0.1:{server.server_port}", flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
