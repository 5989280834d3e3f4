"""A fast CloudWatch Logs fake for measuring the connector's own CPU cost: one log group whose events are
serialised once, up front; FilterLogEvents pages are slices of that, joined per request (no moto, no
per-request JSON encoding). Run as its own process: `python -m benchmarks.fast_fake --events 1000000`."""

from __future__ import annotations

import argparse
import bisect
import json
import random
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from benchmarks.scenario import GroupPlan, events_for
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
        self.creation_ms = now_ms - 14 * DAY

    def describe(self) -> bytes:
        group = {
            "logGroupName": GROUP,
            "creationTime": self.creation_ms,
            "storedBytes": self.stored_bytes,
            "arn": f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}:*",
            "logGroupClass": "STANDARD",
        }
        return json.dumps({"logGroups": [group]}).encode()

    def filter(self, body: dict[str, object]) -> bytes:
        start = bisect.bisect_left(self.timestamps, int(body.get("startTime", 0)))  # type: ignore[call-overload]
        end = bisect.bisect_left(self.timestamps, int(body.get("endTime", 2**62)))  # type: ignore[call-overload]
        offset = int(body.get("nextToken", start))  # type: ignore[call-overload]
        limit = int(body.get("limit", 10_000))  # type: ignore[call-overload]
        stop = min(end, offset + limit)
        page = b'{"events":[' + b",".join(self.serialised[offset:stop]) + b'],"searchedLogStreams":[]'
        if stop < end:
            page += b',"nextToken":"' + str(stop).encode() + b'"'
        return page + b"}"


def serve(pages: Pages, port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            target = self.headers.get("X-Amz-Target", "")
            if target.endswith("FilterLogEvents"):
                answer = pages.filter(body)
            elif target.endswith("DescribeLogGroups"):
                answer = pages.describe()
            else:
                answer = b'{"__type":"UnknownOperationException"}'
            self.send_response(200 if not answer.startswith(b'{"__type"') else 400)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args: object) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, required=True)
    parser.add_argument("--now-ms", type=int, required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = serve(Pages(args.events, args.now_ms), args.port)
    print(f"{READY}http://127.0.0.1:{server.server_port}", flush=True)
    sys.stdout.close()
    server.serve_forever()


if __name__ == "__main__":
    main()
