"""Running the entry point for a benchmark: its wall time, peak memory and output, sampled as it goes."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from testkit.connector import child_environment, command_line, configured_catalog
from testkit.messages import MessageView, parse_messages


def memory_mb(pid: int) -> tuple[float, float] | None:
    """(VmRSS, VmHWM) in MB. VmHWM, the peak, restarts at exec, unlike wait4's ru_maxrss, which would count the
    benchmark's own memory that the child shared between fork and exec."""
    values: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    values[line.split(":")[0]] = int(line.split()[1]) / 1024
    except OSError:
        return None
    return (values["VmRSS"], values["VmHWM"]) if len(values) == 2 else None


@dataclass
class Measured:
    """One run of the entry point: its wall time, memory and output file."""

    wall_s: float
    peak_rss_mb: float
    output: Path
    samples: list[tuple[int, float]]  # (bytes written so far, RSS MB), every 20 ms

    def rss_between(self, low: float, high: float) -> float:
        """The highest RSS while the connector's output (so, its records) went from `low` to `high` of the total."""
        total = self.output.stat().st_size
        inside = [rss for written, rss in self.samples if low * total <= written <= high * total]
        return max(inside, default=0.0)


def measure(
    command: str, workdir: Path, settings: dict[str, Any], catalog: dict[str, Any] | None = None, state: Any = None
) -> Measured:
    """Runs the entry point (from `state`, if given), sampling its memory and output as it goes."""
    args = command_line(command, workdir, config=settings, catalog=catalog, state=state)
    output = workdir / f"{command}.out"
    peak, samples = 0.0, []
    with output.open("wb") as sink, (workdir / f"{command}.err").open("wb") as errors:
        started = time.monotonic()
        process = subprocess.Popen(args, stdout=sink, stderr=errors, env=child_environment())
        while process.poll() is None:
            memory = memory_mb(process.pid)
            if memory:
                peak = max(peak, memory[1])
                samples.append((output.stat().st_size, memory[0]))
            time.sleep(0.02)
        wall = time.monotonic() - started
    if process.returncode != 0:
        raise RuntimeError(
            f"{command} exited with {process.returncode}: {(workdir / f'{command}.err').read_text()[-2000:]}"
        )
    return Measured(wall, peak, output, samples)


def discovered(discover: Measured) -> dict[str, Any]:
    """The full-refresh catalog of every stream a measured discover found."""
    return configured_catalog(MessageView(parse_messages(discover.output.read_bytes())).catalog, "full_refresh")


def print_markdown(header: str, lines: list[str]) -> None:
    """A Markdown table: `header` (a `| a | b |` row), its rule, then `lines`."""
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for line in lines:
        print(line)
