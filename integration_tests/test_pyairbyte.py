"""PyAirbyte runs the connector (its local executable, or the Docker image) into a DuckDB cache.

PyAirbyte lives in its own environment (.venv-pyairbyte, `make pyairbyte-venv`): these tests run
testkit/pyairbyte_runner.py there as a subprocess, one process per sync, with a cache directory per
test. The second sync of a test reuses the cache, where PyAirbyte keeps the incremental state.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.models import AirbyteMessageSerializer
from airbyte_cdk.sources.message import InMemoryMessageRepository

from source_cloudwatch_logs.aws.waits import RATE_LIMITED_AFTER_S
from source_cloudwatch_logs.statuses import WaitStatuses
from testkit import ROOT
from testkit.connector import ENTRY_POINT, config
from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import DAY, Event, logs_client, now_ms, put_events

pytestmark = pytest.mark.pyairbyte

PYAIRBYTE_PYTHON = ROOT / ".venv-pyairbyte" / "bin" / "python"
RUNNER = ROOT / "testkit" / "pyairbyte_runner.py"
COLUMNS = [
    "eventid",
    "timestamp",
    "event_time",
    "message",
    "logstreamname",
    "ingestiontime",
    "loggroupname",
    "accountid",
    "awsregion",
    "_airbyte_raw_id",
    "_airbyte_extracted_at",
    "_airbyte_meta",
]


@pytest.fixture(scope="module")
def pyairbyte_python() -> Path:
    if not (PYAIRBYTE_PYTHON.parent.parent / ".installed").exists():
        pytest.skip("the PyAirbyte environment .venv-pyairbyte is absent (`make pyairbyte-venv` creates it)")
    return PYAIRBYTE_PYTHON


def run_pyairbyte(python: Path, workdir: Path, job: dict[str, Any]) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AIRBYTE_", "VIRTUAL_ENV"))}
    env.update(
        {
            "AIRBYTE_OFFLINE_MODE": "1",
            "DO_NOT_TRACK": "1",
            "AIRBYTE_PROJECT_DIR": str(workdir / "project"),
            "AIRBYTE_LOGGING_ROOT": str(workdir / "logs"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "NO_COLOR": "1",
        }
    )
    (workdir / "project").mkdir(exist_ok=True)
    done = subprocess.run(
        [str(python), str(RUNNER), json.dumps(job)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    results = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and len(results) == 1, f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(results[0].removeprefix("RESULT "))
    return result


def rows(events: list[Event], stream: str, group: str) -> list[tuple[int, str, str, str]]:
    return [(ts, message, stream, group) for ts, message in events]


def table_rows(result: dict[str, Any], table: str) -> list[tuple[int, str, str, str]]:
    return sorted((ts, message, stream, group) for _, ts, message, stream, group in result["tables"][table]["rows"])


@pytest.mark.parametrize("runner", ["local_executable", "docker_image"])
def test_pyairbyte_reads_into_duckdb_then_the_new_events_without_duplicates(
    runner: str, pyairbyte_python: Path, endpoint: str, logs: Any, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    job: dict[str, Any] = {"config": config(endpoint), "cache_dir": str(tmp_path / "cache")}
    if runner == "docker_image":
        job["docker_image"] = request.getfixturevalue("connector_image")  # skips when there is no Docker
    else:
        job["local_executable"] = str(ENTRY_POINT)

    base = now_ms() - DAY
    orders_a = [(base + i * 10, f"START RequestId: a{i}") for i in range(25)]
    orders_b = [(base + 5 + i * 10, f"REPORT RequestId: b{i}\tDuration: {i}.5 ms") for i in range(15)]
    web = [(base + i, json.dumps({"status": 200 + i % 2, "path": f"/p{i}"})) for i in range(12)]
    put_events(logs, "/aws/lambda/orders", "2026/11/21/[$LATEST]a", orders_a)
    put_events(logs, "/aws/lambda/orders", "2026/11/21/[$LATEST]b", orders_b)
    put_events(logs, "app/web", "web-1", web)

    first = run_pyairbyte(pyairbyte_python, tmp_path, job)

    assert first["checked"] is True
    assert first["streams"] == ["/aws/lambda/orders", "app/web"]
    assert first["processed_records"] == 25 + 15 + 12
    assert sorted(first["tables"]) == ["_aws_lambda_orders", "app_web"]
    for table in first["tables"].values():
        assert table["columns"] == COLUMNS
    expected_orders = sorted(
        rows(orders_a, "2026/11/21/[$LATEST]a", "/aws/lambda/orders")
        + rows(orders_b, "2026/11/21/[$LATEST]b", "/aws/lambda/orders")
    )
    assert table_rows(first, "_aws_lambda_orders") == expected_orders
    assert table_rows(first, "app_web") == rows(web, "web-1", "app/web")
    event_ids = [row[0] for table in first["tables"].values() for row in table["rows"]]
    assert len(set(event_ids)) == 52

    # New events, timestamped after the first sync's state; the same cache (and so the same state) again.
    time.sleep(0.01)
    after = now_ms()
    new = [(after + i, f"END RequestId: n{i}") for i in range(3)]
    put_events(logs, "/aws/lambda/orders", "2026/11/21/[$LATEST]b", new)
    time.sleep(0.05)

    second = run_pyairbyte(pyairbyte_python, tmp_path, job)

    # The newest event of each stream is read again (each sync re-checks from it); PyAirbyte merges it on eventId.
    assert second["processed_records"] == 3 + 2
    assert table_rows(second, "_aws_lambda_orders") == sorted(
        expected_orders + rows(new, "2026/11/21/[$LATEST]b", "/aws/lambda/orders")
    )
    assert table_rows(second, "app_web") == rows(web, "web-1", "app/web")


def test_pyairbyte_writes_a_merged_stream_to_one_table_with_typed_parsed_columns(
    pyairbyte_python: Path, endpoint: str, logs: Any, tmp_path: Path
) -> None:
    """Issue 14: many Lambda log groups in one `lambda_logs` table; parsed columns are real DuckDB columns."""
    base = now_ms() - DAY
    report = "REPORT RequestId: {0}\tDuration: {1}.25 ms\tBilled Duration: {2} ms\tMemory Size: 512 MB\tMax Memory Used: 91 MB\t"
    for n, name in enumerate(("orders", "payments", "refunds")):
        put_events(
            logs,
            f"/aws/lambda/{name}",
            "2026/11/30/[$LATEST]a",
            [
                (base + n * 10, f"START RequestId: {name} Version: $LATEST"),
                (base + n * 10 + 1, report.format(name, n, n + 1)),
            ],
        )
    access = {"requestId": "r1", "httpMethod": "GET", "path": "/orders/1", "status": "503", "responseLength": "12"}
    put_events(logs, "/aws/apigateway/shop", "prod", [(base, json.dumps(access))])
    settings = config(
        endpoint,
        log_group_prefix="/aws/apigateway/",
        message_format="auto",
        custom_log_reports=[{"name": "lambda_logs", "log_group_prefix": "/aws/lambda/"}],
    )
    result = run_pyairbyte(
        pyairbyte_python,
        tmp_path,
        {"config": settings, "cache_dir": str(tmp_path / "cache"), "local_executable": str(ENTRY_POINT)},
    )
    assert sorted(result["tables"]) == ["_aws_apigateway_shop", "lambda_logs"]
    lambda_logs = result["tables"]["lambda_logs"]
    assert sorted({row[4] for row in lambda_logs["rows"]}) == [
        "/aws/lambda/orders",
        "/aws/lambda/payments",
        "/aws/lambda/refunds",
    ]
    assert len(lambda_logs["rows"]) == 6
    types = lambda_logs["types"]
    assert (types["lambda_duration_ms"], types["lambda_billed_duration_ms"], types["lambda_request_id"]) == (
        "DECIMAL(38,9)",  # PyAirbyte maps a JSON-schema number to it
        "BIGINT",
        "VARCHAR",
    )
    assert types["message_json"] == "JSON" and types["message"] == "VARCHAR"
    access_types = result["tables"]["_aws_apigateway_shop"]["types"]
    assert (access_types["apigw_status"], access_types["apigw_path"]) == ("BIGINT", "VARCHAR")


def test_pyairbyte_reads_through_a_throttling_storm_that_the_connector_reports_as_rate_limited(
    pyairbyte_python: Path, fake: FakeCloudWatch, tmp_path: Path
) -> None:
    """Issue 24. Faked: every logs call of the fake is throttled (HTTP 400 ThrottlingException) for twice
    RATE_LIMITED_AFTER_S once the read has made its first FilterLogEvents call, with pages of at most 10 events:
    the stream waits past RATE_LIMITED_AFTER_S and says RUNNING with the reason RATE_LIMITED, then RUNNING
    (integration_tests/test_faults.py shows those messages). PyAirbyte, with its own CDK, takes them and writes
    every record."""
    base = now_ms() - DAY
    events = [(base + i, f"event {i}") for i in range(60)]
    put_events(logs_client(fake.url), "app/limited", "s1", events)
    fake.plan.page_event_cap = 10
    fake.plan.latency_s = 0.02
    before = fake.calls["FilterLogEvents"]
    storm: dict[str, int] = {}

    def weather() -> None:
        deadline = time.monotonic() + 300
        while fake.calls["FilterLogEvents"] <= before + 1 and time.monotonic() < deadline:
            time.sleep(0.005)
        fake.plan.throttle_all = True
        storm["throttled_from"] = fake.throttles["FilterLogEvents"]
        time.sleep(2 * RATE_LIMITED_AFTER_S)
        fake.plan.throttle_all = False
        storm["throttled"] = fake.throttles["FilterLogEvents"] - storm["throttled_from"]

    thread = threading.Thread(target=weather, name="throttling-storm", daemon=True)
    thread.start()
    settings = config(fake.url, requests_per_second=1000)
    result = run_pyairbyte(
        pyairbyte_python,
        tmp_path,
        {"config": settings, "cache_dir": str(tmp_path / "cache"), "local_executable": str(ENTRY_POINT)},
    )
    thread.join(timeout=5)

    assert storm.get("throttled", 0) > 0, storm  # the storm hit the read
    assert result["processed_records"] == len(events)
    assert table_rows(result, "app_limited") == rows(events, "s1", "app/limited")


PARSE_WITH_PYAIRBYTE = """
import json, sys
from airbyte_protocol.models import AirbyteMessage
for line in sys.stdin:
    status = AirbyteMessage.model_validate_json(line).trace.stream_status
    reasons = [(r.type.value, r.rate_limited and r.rate_limited.quota_reset) for r in status.reasons or []]
    print(json.dumps([status.stream_descriptor.name, status.status.value, reasons]))
"""


def test_pyairbyte_parses_the_rate_limited_and_running_statuses(pyairbyte_python: Path) -> None:
    """The lines statuses.py writes, read with the protocol model PyAirbyte reads every connector line with (a line
    it cannot parse would only be logged, not fail a sync, so the storm test above cannot tell)."""
    repository = InMemoryMessageRepository()
    statuses = WaitStatuses(repository=repository)
    statuses.on_wait("app/limited", True, 1_800_000_000_123)
    statuses.on_wait("app/limited", False, None)
    lines = "".join(json.dumps(AirbyteMessageSerializer.dump(m)) + "\n" for m in repository.consume_queue())
    done = subprocess.run(
        [str(pyairbyte_python), "-c", PARSE_WITH_PYAIRBYTE],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "AIRBYTE_OFFLINE_MODE": "1", "DO_NOT_TRACK": "1"},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert [json.loads(line) for line in done.stdout.splitlines()] == [
        ["app/limited", "RUNNING", [["RATE_LIMITED", 1_800_000_000_123]]],
        ["app/limited", "RUNNING", []],
    ]
