"""The connector image, run the way the Airbyte platform runs it: `docker run --rm -i <image> <command> ...`.

The inputs sit in a host directory mounted at /data; the container shares the host's network, so it reaches
the moto server on the host's loopback. Every assertion is the same as for the in-process entry point.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from source_cloudwatch_logs.run import NO_TEMP_DIR_MESSAGE
from testkit import docker
from testkit.connector import config, configured_catalog, run_connector
from testkit.docker import run_image
from testkit.seeding import DAY, now_ms, put_events

pytestmark = pytest.mark.docker


def test_image_metadata(connector_image: str) -> None:
    inspected = json.loads(docker.docker("image", "inspect", connector_image, check=True).stdout)[0]["Config"]
    assert inspected["Labels"]["io.airbyte.name"] == "airbyte/source-cloudwatch-logs"
    assert inspected["Labels"]["io.airbyte.version"] == "0.2.0"
    assert inspected["Entrypoint"] == ["source-cloudwatch-logs"]
    assert "AIRBYTE_ENTRYPOINT=source-cloudwatch-logs" in inspected["Env"]
    assert inspected["User"] == "airbyte"
    who = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "sh", connector_image, "-c", "id -u; ls /opt/connector/bin"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    assert who[0] == "1000"
    # No build tools in the final image's environment: no uv, no pip.
    assert "source-cloudwatch-logs" in who and not {"uv", "pip", "pip3"} & set(who)


def test_spec_is_the_same_as_in_process(connector_image: str, tmp_path: Path) -> None:
    in_image = run_image(connector_image, "spec", tmp_path)
    in_process = run_connector("spec", tmp_path)

    assert in_image.returncode == 0, in_image.stderr[-2000:]
    (spec,) = in_image.of("SPEC")
    assert spec == in_process.of("SPEC")[0]
    assert spec["spec"]["connectionSpecification"]["required"] == ["region_name"]


def test_check_succeeds_against_moto_and_fails_on_an_unreachable_endpoint(
    connector_image: str, endpoint: str, logs: Any, tmp_path: Path
) -> None:
    put_events(logs, "/aws/lambda/app", "s", [(now_ms() - DAY, "hello")])

    ok = run_image(connector_image, "check", tmp_path, config(endpoint))
    assert ok.returncode == 0, ok.stderr[-2000:]
    assert ok.connection_status == {"status": "SUCCEEDED"}

    unreachable = run_image(connector_image, "check", tmp_path, config("http://127.0.0.1:1"))
    assert unreachable.returncode == 0
    assert unreachable.connection_status["status"] == "FAILED"
    assert "Could not reach CloudWatch Logs at http://127.0.0.1:1" in unreachable.connection_status["message"]
    assert "testing" not in unreachable.stdout  # the secret key of the config


def test_discover_lists_the_log_groups(connector_image: str, endpoint: str, logs: Any, tmp_path: Path) -> None:
    for group in ("/aws/lambda/b", "/aws/lambda/a", "app/c"):
        put_events(logs, group, "s", [(now_ms() - DAY, group)])

    in_image = run_image(connector_image, "discover", tmp_path, config(endpoint))
    assert in_image.returncode == 0, in_image.stderr[-2000:]
    assert [s["name"] for s in in_image.catalog["streams"]] == ["/aws/lambda/a", "/aws/lambda/b", "app/c"]
    assert in_image.catalog == run_connector("discover", tmp_path, config(endpoint)).catalog


def test_read_then_read_again_with_the_state_file(
    connector_image: str, endpoint: str, logs: Any, tmp_path: Path
) -> None:
    base = now_ms() - 2 * DAY
    lambda_events = [(base + i * 1000, f"START RequestId: r{i}") for i in range(2500)]
    app_events = [(base + i * 7, f'{{"level":"INFO","n":{i}}}') for i in range(300)]
    put_events(logs, "/aws/lambda/app", "2026/11/20/[$LATEST]a", lambda_events[:1200])
    put_events(logs, "/aws/lambda/app", "2026/11/20/[$LATEST]b", lambda_events[1200:])
    put_events(logs, "app/web", "web-1", app_events)
    cfg = config(endpoint)
    catalog = configured_catalog(run_image(connector_image, "discover", tmp_path, cfg).catalog)

    first = run_image(connector_image, "read", tmp_path, cfg, catalog)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.errors == []
    assert first.events_of("/aws/lambda/app") == lambda_events
    assert first.events_of("app/web") == app_events
    assert len({r["data"]["eventId"] for r in first.records}) == len(lambda_events) + len(app_events)
    for stream in ("/aws/lambda/app", "app/web"):
        assert first.statuses(stream)[-1] == "COMPLETE"
        # ingestion_delay_seconds is 0: the state is the end of the read, after every event
        assert first.stream_state(stream)["timestamp"] > lambda_events[-1][0]

    # Timestamped after the first read ended (its state), so the second read must return exactly these, and the
    # newest event of each stream again (each sync re-checks from the newest event delivered).
    time.sleep(0.01)
    after = now_ms()
    assert after > first.stream_state("/aws/lambda/app")["timestamp"]
    new = [(after + i, f"END RequestId: n{i}") for i in range(5)]
    put_events(logs, "/aws/lambda/app", "2026/11/20/[$LATEST]b", new)
    time.sleep(0.05)

    second = run_image(connector_image, "read", tmp_path, cfg, catalog, state=first.state)
    assert second.returncode == 0, second.stderr[-2000:]
    assert second.events_of("/aws/lambda/app") == [lambda_events[-1], *new]
    assert second.events_of("app/web") == [app_events[-1]]
    assert second.stream_state("/aws/lambda/app")["timestamp"] > new[-1][0]
    assert second.stream_state("app/web")["timestamp"] >= first.stream_state("app/web")["timestamp"]

    # The same state file in the in-process entry point reads exactly the same events.
    in_process = run_connector("read", tmp_path, cfg, catalog=catalog, state=first.state)
    assert in_process.events_of("/aws/lambda/app") == [lambda_events[-1], *new]
    assert in_process.events_of("app/web") == [app_events[-1]]


def test_read_error_is_a_config_error_trace(connector_image: str, tmp_path: Path) -> None:
    cfg = config("http://127.0.0.1:1")
    catalog = {
        "streams": [
            {
                "stream": {"name": "g", "json_schema": {}, "supported_sync_modes": ["full_refresh"]},
                "sync_mode": "full_refresh",
                "destination_sync_mode": "overwrite",
            }
        ]
    }
    out = run_image(connector_image, "read", tmp_path, cfg, catalog)

    assert out.returncode == 1
    (error,) = out.errors
    assert error["failure_type"] == "config_error"
    assert "Could not reach CloudWatch Logs" in error["message"]


def test_a_read_only_root_filesystem_needs_a_writable_tmp(connector_image: str, tmp_path: Path) -> None:
    """Issue 15 item 12: the CDK needs a temporary directory. Without one, a config_error says how to mount one
    (before: a FATAL stack trace); with `--tmpfs /tmp` the read-only container works."""
    refused = run_image(connector_image, "spec", tmp_path, docker_args=["--read-only"])
    assert refused.returncode == 1
    assert [(e["message"], e["failure_type"]) for e in refused.errors] == [(NO_TEMP_DIR_MESSAGE, "config_error")]
    assert "Traceback" not in refused.stdout + refused.stderr

    works = run_image(connector_image, "spec", tmp_path, docker_args=["--read-only", "--tmpfs", "/tmp"])
    assert works.returncode == 0, works.stderr[-2000:]
    assert works.of("SPEC")
