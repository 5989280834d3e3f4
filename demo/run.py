"""`make demo`: a local moto server, seeded with sample logs, read through the connector's entry point."""

from __future__ import annotations

import json
import logging
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import boto3
from moto.server import ThreadedMotoServer

ENTRY_POINT = Path(sys.executable).with_name("source-cloudwatch-logs")
HOUR = 3_600_000


def seed(endpoint: str) -> int:
    logs = boto3.client(
        "logs", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="demo", aws_secret_access_key="demo"
    )
    rng = random.Random(7)
    now = int(time.time() * 1000)
    total = 0
    for group, make in {
        "API-Gateway-Execution-Logs_demo/prod": lambda t: json.dumps(
            {
                "requestId": f"{rng.getrandbits(64):016x}",
                "httpMethod": rng.choice(["GET", "POST"]),
                "resourcePath": rng.choice(["/orders", "/users", "/health"]),
                "status": rng.choice([200, 200, 404, 500]),
            }
        ),
        "/aws/lambda/checkout": lambda t: rng.choice(
            ["START RequestId: x", "END RequestId: x", "REPORT Duration: 12.3 ms"]
        ),
    }.items():
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="demo")
        events = sorted(now - rng.randint(HOUR, 72 * HOUR) for _ in range(2_000))
        logs.put_log_events(
            logGroupName=group, logStreamName="demo", logEvents=[{"timestamp": t, "message": make(t)} for t in events]
        )
        total += len(events)
    return total


def connector(command: str, workdir: Path, **files: object) -> list[dict]:
    args = [str(ENTRY_POINT), command]
    for name, content in files.items():
        path = workdir / f"{name}.json"
        path.write_text(json.dumps(content))
        args += [f"--{name}", str(path)]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    return [json.loads(line) for line in done.stdout.splitlines()]


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    seeded = seed(endpoint)
    config = {
        "region_name": "us-east-1",
        "aws_access_key_id": "demo",
        "aws_secret_access_key": "demo",
        "endpoint_url": endpoint,
    }
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (catalog,) = [m["catalog"] for m in connector("discover", workdir, config=config) if m["type"] == "CATALOG"]
        configured = {
            "streams": [
                {"stream": s, "sync_mode": "incremental", "destination_sync_mode": "append"} for s in catalog["streams"]
            ]
        }
        started = time.monotonic()
        messages = connector("read", workdir, config=config, catalog=configured)
        seconds = time.monotonic() - started
    server.stop()
    records = Counter(m["record"]["stream"] for m in messages if m["type"] == "RECORD")
    print(f"\nSeeded {seeded} events into a local moto server at {endpoint}; read them in {seconds:.1f} s:\n")
    for stream, count in sorted(records.items()):
        print(f"  {stream:45} {count:6} records")
    print(
        f"\nTotal: {sum(records.values())} records, {sum(1 for m in messages if m['type'] == 'STATE')} state messages."
    )


if __name__ == "__main__":
    main()
