"""Docker for the tests: is an engine there (and if not, why), build the connector image, run it the way the
Airbyte platform does, reach the host.

Nothing here starts an engine: `make test` runs scripts/docker-engine.sh first, which does, or writes the
reason it could not to `.docker-unavailable`. Tests that need Docker skip with that reason.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from testkit import ROOT
from testkit.connector import write_inputs
from testkit.messages import Output

IMAGE = os.environ.get("CONNECTOR_IMAGE_TAG", "airbyte/source-cloudwatch-logs:dev")
LOCAL_BASE_IMAGE = os.environ.get("LOCAL_BASE_IMAGE", "local/python-base:3.11")
REASON_FILE = ROOT / ".docker-unavailable"
BUILD_TIMEOUT_S = 900


class ImageUnavailable(Exception):
    """The image cannot be built here for a reason outside this repository (no base image, no registry)."""


def docker(*args: str, timeout: float = 120, check: bool = False) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check)


@functools.cache
def unavailable_reason() -> str | None:
    """None when a Docker engine answers, else why not (for pytest.skip)."""
    if os.environ.get("SKIP_DOCKER_TESTS"):
        return "SKIP_DOCKER_TESTS is set"
    if shutil.which("docker") is None:
        return "the docker CLI is not installed (`make test` runs scripts/docker-engine.sh to set it up)"
    try:
        answer = docker("info", "--format", "{{.ServerVersion}}", timeout=30)
    except subprocess.TimeoutExpired:
        answer = None
    if answer is not None and answer.returncode == 0:
        return None
    if REASON_FILE.exists():
        return f"no Docker engine: {REASON_FILE.read_text().strip()}"
    return "the Docker engine does not answer (`make docker-engine` starts one)"


def _has_image(name: str) -> bool:
    return docker("image", "inspect", name, timeout=60).returncode == 0


def _dockerfile_default_base() -> str:
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        if line.startswith("ARG BASE_IMAGE="):
            return line.split("=", 1)[1].strip()
    raise AssertionError("the Dockerfile has no `ARG BASE_IMAGE=` default")


def base_image() -> str:
    """The local base image when there is one (no registry needed), else the Dockerfile's default."""
    chosen = os.environ.get("CONNECTOR_BASE_IMAGE")
    if chosen:
        return chosen
    return LOCAL_BASE_IMAGE if _has_image(LOCAL_BASE_IMAGE) else _dockerfile_default_base()


@functools.cache
def build_image() -> str:
    """`docker build` the connector image once per session (Docker's layer cache makes a rebuild quick)."""
    base = base_image()
    if not _has_image(base):
        pulled = docker("pull", base, timeout=600)
        if pulled.returncode != 0:
            raise ImageUnavailable(
                f"base image {base} is not present and cannot be pulled ({pulled.stderr.strip()[-300:]}); "
                f"scripts/docker-engine.sh builds {LOCAL_BASE_IMAGE} without a registry"
            )
    started = time.monotonic()
    # --network host: the build installs from PyPI, and the default bridge may not exist (dockerd --bridge=none).
    built = docker(
        "build", "--network", "host", "--build-arg", f"BASE_IMAGE={base}", "-t", IMAGE, str(ROOT),
        timeout=BUILD_TIMEOUT_S,
    )  # fmt: skip
    if built.returncode != 0:
        raise AssertionError(f"docker build of {IMAGE} failed:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}")
    print(f"built {IMAGE} from {base} in {time.monotonic() - started:.0f} s")
    return IMAGE


@functools.cache
def bridge_gateway() -> str | None:
    """The host's address on Docker's default bridge network, reachable from containers run without
    `--network host`; None when there is no bridge (dockerd started with --bridge=none)."""
    inspected = docker("network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}", timeout=30)
    if inspected.returncode != 0:
        return None
    for entry in json.loads(inspected.stdout.strip() or "[]") or []:
        if entry.get("Gateway"):
            return str(entry["Gateway"])
        if entry.get("Subnet"):
            network = ipaddress.ip_network(entry["Subnet"], strict=False)
            if network.version == 4:
                return str(next(network.hosts()))  # Docker gives the bridge the subnet's first address
    return None


def make_readable(path: Path) -> None:
    """The image runs as uid 1000: files the tests mount into it must be readable by others."""
    path.chmod(0o755 if path.is_dir() else 0o644)


def run_image(
    image: str,
    command: str,
    workdir: Path,
    config: Mapping[str, Any] | None = None,
    catalog: Mapping[str, Any] | None = None,
    state: Any = None,
    docker_args: Sequence[str] = (),
) -> Output:
    """`docker run --rm -i --network host -v <workdir>:/data <image> <command> --config /data/... ...`: the inputs
    are files in `workdir`, mounted at /data; the container shares the host's network, so it reaches an
    endpoint on the host's loopback."""
    args = ["docker", "run", "--rm", "-i", *docker_args, *_image_args(image, command, workdir, config, catalog, state)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300, check=False)
    return Output.parse(done.returncode, done.stdout, done.stderr)


def run_image_detached(image: str, command: str, workdir: Path, **inputs: Any) -> str:
    """As `run_image` (same inputs), but in the background (`docker run -d`, kept after it ends): the container id."""
    args = ["docker", "run", "-d", *_image_args(image, command, workdir, **inputs)]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=True).stdout.strip()


def _image_args(
    image: str,
    command: str,
    workdir: Path,
    config: Mapping[str, Any] | None = None,
    catalog: Mapping[str, Any] | None = None,
    state: Any = None,
) -> list[str]:
    make_readable(workdir)
    args = ["--network", "host", "-v", f"{workdir}:/data", image, command]
    for name, path in write_inputs(workdir, config=config, catalog=catalog, state=state).items():
        make_readable(path)
        args += [f"--{name}", f"/data/{path.name}"]
    return args
