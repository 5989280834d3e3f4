"""The fake CloudWatch Logs endpoint (fake_logs.py) in its own process: the command that serves it, starting and
stopping it from another process, and the client of its control API.

moto keeps its data in module-level backends: every moto server inside one process shares it, and the tests'
`fake` fixture empties it before each test. A server in its own process keeps its own data, for as long as
a test module, the demo or a benchmark needs it.

Serve it by hand::

    python -m testkit.server_process --port 0 --latency 0.08 --rate FilterLogEvents=5

It prints ``READY http://127.0.0.1:<port>`` and serves until killed.

Standard library only (the serving command imports the fake, and so moto, when it runs): the demo imports
this module from the PyAirbyte environment.
"""

from __future__ import annotations

import argparse
import json
import select
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from testkit import ROOT

START_TIMEOUT_S = 60
READY = "READY "


@contextmanager
def ready_process(args: Sequence[str], log_path: Path | None = None) -> Iterator[str]:
    """Runs `args` (from the repository's root) until the block ends; yields the URL it announces on its first
    stdout line, ``READY <url>``. Its stderr goes to `log_path` (or nowhere)."""
    log = log_path.open("ab") if log_path else None
    process = subprocess.Popen(
        list(args),
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log if log is not None else subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_S)
        line = process.stdout.readline().strip() if ready else ""
        if not line.startswith(READY):
            raise RuntimeError(f"{' '.join(args)} did not start (exit code {process.poll()}, said {line!r})")
        yield line.removeprefix(READY)
    finally:
        if process.stdout is not None:
            process.stdout.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if log is not None:
            log.close()


@contextmanager
def fake_cloudwatch(
    host: str = "127.0.0.1", python: str | Path = sys.executable, log_path: Path | None = None
) -> Iterator[str]:
    """Serves the fake on `host` (a free port) with `python` (an environment that has moto); yields its URL."""
    with ready_process([str(python), "-m", "testkit.server_process", "--host", host, "--port", "0"], log_path) as url:
        yield url


# ----- the control API ----------------------------------------------------------------------------------------


def _control(url: str, path: str, body: dict[str, Any] | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}{path}", data=data, method="GET" if data is None else "POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def fake_stats(url: str) -> dict[str, dict[str, int]]:
    """Calls, throttled calls and faults so far, by operation: {"calls": {...}, "throttles": {...}, "faults": {...}}."""
    stats: dict[str, dict[str, int]] = _control(url, "/_fake/stats")
    return stats


def set_plan(url: str, **changes: Any) -> None:
    """Changes fields of the fake's FaultPlan (JSON values: lists for sets)."""
    _control(url, "/_fake/plan", changes)


def reset_fake(url: str) -> None:
    """Empties the fake: its data, counters and issued credentials (the plan stays)."""
    _control(url, "/_fake/reset", {})


def closed_port() -> int:
    """A port on 127.0.0.1 that nobody listens on (for an unreachable endpoint)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def silent_endpoint() -> Iterator[str]:
    """An endpoint on 127.0.0.1 that accepts connections and never answers (a hung proxy or load balancer)."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(64)  # the kernel accepts connections into the backlog; nobody reads them
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


# ----- the serving command ----------------------------------------------------------------------------------


def _parse_rate(text: str) -> tuple[str, float]:
    operation, _, rate = text.partition("=")
    if not operation or not rate:
        raise argparse.ArgumentTypeError(f"expected OPERATION=REQUESTS_PER_SECOND, got {text!r}")
    return operation, float(rate)


def main(argv: list[str] | None = None) -> None:
    from testkit.fake_logs import FakeCloudWatch
    from testkit.faults import FaultPlan

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
    print(f"{READY}{url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
