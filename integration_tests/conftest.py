"""Fixtures of the integration tests; the fake CloudWatch endpoint (`fake`) comes from testkit.fixtures."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from moto.server import ThreadedMotoServer

from testkit import docker
from testkit.connector import NO_SWEEP, config, configured_catalog, run_connector
from testkit.seeding import logs_client


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """Plain moto in server mode: a real HTTP endpoint on 127.0.0.1."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def endpoint(moto_endpoint: str) -> str:
    """The moto endpoint, emptied before each test."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    return moto_endpoint


@pytest.fixture
def logs(endpoint: str) -> Any:
    return logs_client(endpoint)


@pytest.fixture
def sync(tmp_path: Path, endpoint: str):  # type: ignore[no-untyped-def]
    """discover (once per test and stream selection), then read every discovered stream (without the late-event
    sweep unless asked: see NO_SWEEP)."""
    catalogs: dict[str, Any] = {}

    def _sync(state: Any = None, sync_mode: str = "incremental", **overrides: Any):  # type: ignore[no-untyped-def]
        cfg = config(endpoint, **{**NO_SWEEP, **overrides})
        selection = json.dumps([overrides.get("log_group_prefix"), overrides.get("custom_log_reports"), sync_mode])
        if selection not in catalogs:
            discovered = run_connector("discover", tmp_path, cfg)
            assert discovered.returncode == 0, discovered.stdout + discovered.stderr
            catalogs[selection] = configured_catalog(discovered.catalog, sync_mode)
        return run_connector("read", tmp_path, cfg, catalog=catalogs[selection], state=state)

    return _sync


@pytest.fixture(scope="session")
def connector_image() -> str:
    """The connector image, built once per session; skips (with the reason) when Docker is unavailable."""
    reason = docker.unavailable_reason()
    if reason:
        pytest.skip(reason)
    try:
        return docker.build_image()
    except docker.ImageUnavailable as error:
        pytest.skip(str(error))
