"""The CDK's standard connector tests, with the scenarios of acceptance-test-config.yml.

The suite reads each scenario's config file when a test runs (not at collection), so the configs that need a
CloudWatch endpoint point at a file this module writes: `suite_endpoint` starts the fake CloudWatch endpoint in
its own process, seeds it, and writes secrets/config.json with its URL. The suite's image tests run
`docker run --rm <image> ...` without `--network host`, so when Docker is available the endpoint listens on the
host's address on Docker's default bridge, which both the tests here and the containers reach.

The image tests use the image built from this repository (the `connector_image` fixture; `--connector-image`
overrides it): the CDK's own build path needs Airbyte's Dockerfile templates from GitHub.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

from source_cloudwatch_logs import SourceCloudwatchLogs
from testkit import ROOT, docker
from testkit.connector import run_connector
from testkit.seeding import HOUR, REGION, Event, logs_client, now_ms, put_events
from testkit.server_process import fake_cloudwatch

SECRETS_CONFIG = ROOT / "secrets" / "config.json"
ACCESS_GROUP = "/aws/apigateway/orders-api/access"
LAMBDA_GROUP = "/aws/lambda/orders-handler"
APP_GROUP = "app/orders-service"


@dataclass(frozen=True)
class SuiteEndpoint:
    url: str
    events: dict[str, list[Event]]
    # None when containers on Docker's default bridge can reach the endpoint, else why not.
    unreachable_from_containers: str | None


def seed_events(base: int) -> dict[str, list[Event]]:
    """A few realistic events per log group, timestamped an hour or two ago (older than the ingestion delay)."""
    access = [
        (
            base + i * 1000,
            json.dumps(
                {
                    "requestId": f"req-{i}",
                    "ip": f"203.0.113.{i + 1}",
                    "httpMethod": "GET" if i % 2 else "POST",
                    "path": "/orders",
                    "status": "200" if i % 3 else "502",
                    "responseLength": str(100 + i),
                    "stage": "prod",
                }
            ),
        )
        for i in range(6)
    ]
    invocations = [f"{i:08x}-0000-4000-8000-000000000000" for i in range(3)]
    lambda_events = []
    for n, request in enumerate(invocations):
        start = base + n * 60_000
        lambda_events += [
            (start, f"START RequestId: {request} Version: $LATEST"),
            (start + 5, f"{request}\tINFO\torder accepted"),
            (start + 40, f"END RequestId: {request}"),
            (start + 41, f"REPORT RequestId: {request}\tDuration: 35.10 ms\tBilled Duration: 36 ms"),
        ]
    app = [(base + i * 500, f"2026-11-22 level=INFO order_id={1000 + i} msg=shipped") for i in range(4)]
    return {ACCESS_GROUP: access, LAMBDA_GROUP: lambda_events, APP_GROUP: app}


def _bindable(host: str) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((host, 0))
        except OSError:
            return False
    return True


def _endpoint_host() -> tuple[str, str | None]:
    """Where the endpoint listens, and why containers cannot reach it (None if they can)."""
    reason = docker.unavailable_reason()
    if reason:
        return "127.0.0.1", reason
    gateway = docker.bridge_gateway()
    if gateway is None:
        return "127.0.0.1", (
            "Docker has no default bridge network (dockerd runs with --bridge=none): the standard suite's "
            "`docker run` has no --network option, so its containers cannot reach a server on the host"
        )
    if not _bindable(gateway):
        return "127.0.0.1", f"the host cannot listen on the Docker bridge address {gateway}"
    return gateway, None


@pytest.fixture(scope="module", autouse=True)
def suite_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteEndpoint]:
    host, unreachable = _endpoint_host()
    log_path = tmp_path_factory.mktemp("suite-endpoint") / "fake_cloudwatch.log"
    with fake_cloudwatch(host, log_path=log_path) as url:
        logs = logs_client(url)
        events = seed_events(now_ms() - 2 * HOUR)
        for group, group_events in events.items():
            put_events(logs, group, "2026/11/22/instance-1", group_events)
        SECRETS_CONFIG.parent.mkdir(exist_ok=True)
        SECRETS_CONFIG.write_text(
            json.dumps(
                {
                    "region_name": REGION,
                    "aws_access_key_id": "suite-access-key-id",
                    "aws_secret_access_key": "suite-secret-access-key",
                    "endpoint_url": url,
                },
                indent=2,
            )
        )
        try:
            yield SuiteEndpoint(url, events, unreachable)
        finally:
            SECRETS_CONFIG.unlink(missing_ok=True)


@pytest.fixture
def connector_image_override(request: pytest.FixtureRequest, suite_endpoint: SuiteEndpoint) -> str:
    """Overrides the CDK plugin's fixture: the image tests run against the image built here."""
    if suite_endpoint.unreachable_from_containers:
        pytest.skip(f"image tests skipped: {suite_endpoint.unreachable_from_containers}")
    given: str | None = request.config.getoption("--connector-image")
    if given:
        return given
    image: str = request.getfixturevalue("connector_image")
    return image


@pytest.fixture
def read_from_streams(
    request: pytest.FixtureRequest, read_from_streams: Literal["all", "none", "default"] | list[str]
) -> Literal["all", "none", "default"] | list[str]:
    """Overrides the CDK plugin's fixture: without `--read-from-streams`, the image read test reads every
    stream (the plugin's default is to skip it)."""
    return "all" if request.config.getoption("--read-from-streams") is None else read_from_streams


class TestSuite(SourceTestSuiteBase):
    connector = SourceCloudwatchLogs
    # The suite names the connector after its root directory, which is a checkout's name here.
    connector_name = "source-cloudwatch-logs"


def catalog_file() -> dict[str, Any]:
    return json.loads((ROOT / "integration_tests" / "configured_catalog.json").read_text())  # type: ignore[no-any-return]


def test_configured_catalog_is_what_discover_returns(suite_endpoint: SuiteEndpoint, tmp_path: Path) -> None:
    discovered = run_connector("discover", tmp_path, json.loads(SECRETS_CONFIG.read_text())).catalog
    assert [c["stream"] for c in catalog_file()["streams"]] == discovered["streams"]
    assert sorted(suite_endpoint.events) == [s["name"] for s in discovered["streams"]]


def test_sample_state_resumes_each_stream(suite_endpoint: SuiteEndpoint, tmp_path: Path) -> None:
    """integration_tests/sample_state.json (two streams, from 2026-01-01 and 2026-06-01), then the state that
    read wrote: the first read returns every event (all are newer), the second only the newest event of each
    stream again (each sync re-checks from the newest event delivered; the others are older than any lookback)."""
    state = json.loads((ROOT / "integration_tests" / "sample_state.json").read_text())
    positions = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"]["timestamp"] for s in state}
    assert positions == {LAMBDA_GROUP: 1_767_225_600_000, APP_GROUP: 1_780_272_000_000}
    config = json.loads(SECRETS_CONFIG.read_text())

    first = run_connector("read", tmp_path, config, catalog=catalog_file(), state=state)

    assert first.returncode == 0, first.stderr[-2000:]
    # The sample state is valid: no "State of stream ... is not usable" warning (only the lag warnings of events
    # that were put hours after their timestamps).
    assert [w for w in first.logs("WARN") if "State of stream" in w] == []
    for group, events in suite_endpoint.events.items():
        assert first.events_of(group) == events
        assert first.stream_state(group)["timestamp"] > events[-1][0]

    second = run_connector("read", tmp_path, config, catalog=catalog_file(), state=first.state)
    assert second.returncode == 0, second.stderr[-2000:]
    for group, events in suite_endpoint.events.items():
        assert second.events_of(group) == [events[-1]]
    assert {s["stream"]["stream_descriptor"]["name"] for s in second.state} == set(suite_endpoint.events)


def test_acceptance_config_points_at_files_that_exist() -> None:
    config = yaml.safe_load((ROOT / "acceptance-test-config.yml").read_text())
    paths = {
        entry[key]
        for section in config["acceptance_tests"].values()
        for entry in section["tests"]
        for key in ("config_path", "configured_catalog_path")
        if key in entry
    }
    assert paths == {
        "secrets/config.json",
        "integration_tests/sample_config.json",
        "integration_tests/invalid_config.json",
        "integration_tests/configured_catalog.json",
    }
    assert all((ROOT / path).is_file() for path in paths)  # secrets/config.json: written by suite_endpoint
