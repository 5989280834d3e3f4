"""The fake CloudWatch Logs endpoint (integration_tests/fake_cloudwatch.py) as a separate process.

moto keeps its data in module-level backends: every moto server inside one process shares it, and the tests'
`endpoint` fixture empties it before each test. A server in its own process keeps its own data, for as long as
a module or a demo needs it. Standard library only: the demo imports this from the PyAirbyte environment.
"""

from __future__ import annotations

import select
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 60


@contextmanager
def fake_cloudwatch(
    host: str = "127.0.0.1", python: str | Path = sys.executable, log_path: Path | None = None
) -> Iterator[str]:
    """Serves the fake on `host` (a free port) with `python` (an environment that has moto); yields its URL."""
    log = log_path.open("ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen(
        [str(python), "-m", "integration_tests.fake_cloudwatch", "--host", host, "--port", "0"],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT_S)
        line = process.stdout.readline().strip() if ready else ""
        if not line.startswith("READY "):
            raise RuntimeError(
                f"the fake CloudWatch endpoint did not start on {host} (exit code {process.poll()}, said {line!r})"
            )
        yield line.removeprefix("READY ")
    finally:
        if process.stdout is not None:
            process.stdout.close()
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if log_path and log is not subprocess.DEVNULL:
            log.close()  # type: ignore[union-attr]
