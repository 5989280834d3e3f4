"""The fake CloudWatch Logs endpoint answers like AWS, exercised with real boto3 clients."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from integration_tests.fake_cloudwatch import FakeCloudWatch, FaultPlan, parse_filter_terms

REPO_ROOT = Path(__file__).resolve().parent.parent
NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})
GROUP = "/test/app"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeCloudWatch]:
    fake = FakeCloudWatch()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake(server: FakeCloudWatch) -> FakeCloudWatch:
    server.plan = FaultPlan()
    server.reset()
    return server


def make_client(url: str, service: str = "logs") -> Any:
    return boto3.client(
        service,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        endpoint_url=url,
        config=NO_RETRIES,
    )


@pytest.fixture
def logs(fake: FakeCloudWatch) -> Any:
    return make_client(fake.url)


@pytest.fixture
def base_ms() -> int:
    """A recent timestamp: moto rejects events older than 14 days."""
    return (int(time.time() * 1000) // 1000 - 3600) * 1000


def seed(logs: Any, group: str, streams: dict[str, list[tuple[int, str]]]) -> None:
    """Create ``group`` (if needed) and its streams holding (timestamp, message) events."""
    if not logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]:
        logs.create_log_group(logGroupName=group)
    for stream, events in streams.items():
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
        if events:
            log_events = [{"timestamp": ts, "message": message} for ts, message in events]
            logs.put_log_events(logGroupName=group, logStreamName=stream, logEvents=log_events)


def all_pages(logs: Any, **params: Any) -> list[dict[str, Any]]:
    pages = []
    while True:
        page = logs.filter_log_events(**params)
        pages.append(page)
        if "nextToken" not in page:
            return pages
        params["nextToken"] = page["nextToken"]


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[int, str, str]:
    response = excinfo.value.response
    return (
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Code"],
        response["Error"]["Message"],
    )


# ----- FilterLogEvents semantics ---------------------------------------------------------------------------


def test_start_time_inclusive_end_time_exclusive(logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms + i, f"e{i}") for i in range(5)]})

    page = logs.filter_log_events(logGroupName=GROUP, startTime=base_ms + 1, endTime=base_ms + 3)

    assert [e["message"] for e in page["events"]] == ["e1", "e2"]
    assert "nextToken" not in page
    assert page["searchedLogStreams"] == []


def test_events_interleave_across_streams_with_all_fields(logs: Any, base_ms: int) -> None:
    seed(
        logs,
        GROUP,
        {
            "a": [(base_ms, "a0"), (base_ms + 2, "a2"), (base_ms + 4, "a4")],
            "b": [(base_ms + 1, "b1"), (base_ms + 3, "b3")],
        },
    )

    events = logs.filter_log_events(logGroupName=GROUP)["events"]

    assert [(e["logStreamName"], e["timestamp"], e["message"]) for e in events] == [
        ("a", base_ms, "a0"),
        ("b", base_ms + 1, "b1"),
        ("a", base_ms + 2, "a2"),
        ("b", base_ms + 3, "b3"),
        ("a", base_ms + 4, "a4"),
    ]
    assert all(isinstance(e["ingestionTime"], int) and e["ingestionTime"] > 0 for e in events)
    ids = [e["eventId"] for e in events]
    assert all(event_id.isdigit() for event_id in ids)
    assert len(set(ids)) == 5
    assert [e["eventId"] for e in logs.filter_log_events(logGroupName=GROUP)["events"]] == ids


def test_stream_name_prefix_and_names(logs: Any, base_ms: int) -> None:
    seed(
        logs,
        GROUP,
        {"app-1": [(base_ms, "x1")], "app-2": [(base_ms + 1, "x2")], "other": [(base_ms + 2, "x3")]},
    )

    by_prefix = logs.filter_log_events(logGroupName=GROUP, logStreamNamePrefix="app-")["events"]
    by_names = logs.filter_log_events(logGroupName=GROUP, logStreamNames=["other", "app-1"])["events"]

    assert [e["message"] for e in by_prefix] == ["x1", "x2"]
    assert [e["message"] for e in by_names] == ["x1", "x3"]


def test_stream_names_and_prefix_together_are_rejected(logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms, "m")]})

    with pytest.raises(ClientError) as excinfo:
        logs.filter_log_events(logGroupName=GROUP, logStreamNames=["s"], logStreamNamePrefix="s")

    assert error_of(excinfo)[:2] == (400, "InvalidParameterException")


def test_group_identifier_arn_and_unknown_group(logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms, "m")]})
    arn = logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"][0]["logGroupArn"]

    assert [e["message"] for e in logs.filter_log_events(logGroupIdentifier=arn)["events"]] == ["m"]
    assert [e["message"] for e in logs.filter_log_events(logGroupIdentifier=GROUP)["events"]] == ["m"]
    with pytest.raises(ClientError) as excinfo:
        logs.filter_log_events(logGroupName="/no/such/group")
    assert error_of(excinfo) == (400, "ResourceNotFoundException", "The specified log group does not exist.")


def test_filter_pattern_terms_and_phrases(logs: Any, base_ms: int) -> None:
    messages = ["ERROR disk full", "ERROR user=alice", "INFO disk full", "error disk"]
    seed(logs, GROUP, {"s": [(base_ms + i, m) for i, m in enumerate(messages)]})

    def matching(pattern: str) -> list[str]:
        return [e["message"] for e in logs.filter_log_events(logGroupName=GROUP, filterPattern=pattern)["events"]]

    assert matching("") == messages
    assert matching("ERROR") == ["ERROR disk full", "ERROR user=alice"]
    assert matching("ERROR disk") == ["ERROR disk full"]
    assert matching('"disk full"') == ["ERROR disk full", "INFO disk full"]
    assert matching('INFO "disk full"') == ["INFO disk full"]
    assert parse_filter_terms('a "b c"  d') == ["a", "b c", "d"]


def test_paging_with_limit_and_empty_pages_returns_exactly_the_seeded_events(
    fake: FakeCloudWatch, logs: Any, base_ms: int
) -> None:
    seeded = {
        "a": [(base_ms + 2 * i, f"a{i}") for i in range(5)],
        "b": [(base_ms + 2 * i + 1, f"b{i}") for i in range(5)],
    }
    seed(logs, GROUP, seeded)
    fake.plan.empty_page_every = 2

    pages = all_pages(logs, logGroupName=GROUP, limit=3)

    assert [len(p["events"]) for p in pages] == [3, 0, 3, 0, 3, 0, 1]
    assert all("nextToken" in p for p in pages[:-1])
    got = [(e["logStreamName"], e["timestamp"], e["message"]) for p in pages for e in p["events"]]
    expected = sorted((stream, ts, msg) for stream, events in seeded.items() for ts, msg in events)
    assert got == sorted(expected, key=lambda event: event[1])
    assert len({e["eventId"] for p in pages for e in p["events"]}) == 10


def test_page_event_cap_makes_partial_pages(fake: FakeCloudWatch, logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms + i, f"e{i}") for i in range(5)]})
    fake.plan.page_event_cap = 2

    pages = all_pages(logs, logGroupName=GROUP, limit=100)

    assert [[e["message"] for e in p["events"]] for p in pages] == [["e0", "e1"], ["e2", "e3"], ["e4"]]


def test_events_added_between_pages_after_the_position_are_returned(logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms, "e0"), (base_ms + 1, "e1")]})
    first = logs.filter_log_events(logGroupName=GROUP, limit=1)
    logs.put_log_events(logGroupName=GROUP, logStreamName="s", logEvents=[{"timestamp": base_ms + 2, "message": "e2"}])

    rest = all_pages(logs, logGroupName=GROUP, limit=1, nextToken=first["nextToken"])

    assert [e["message"] for p in rest for e in p["events"]] == ["e1", "e2"]


def test_garbage_and_foreign_tokens_are_invalid(logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms + i, f"e{i}") for i in range(3)]})
    token = logs.filter_log_events(logGroupName=GROUP, limit=1)["nextToken"]

    with pytest.raises(ClientError) as garbage:
        logs.filter_log_events(logGroupName=GROUP, nextToken="not-a-token")
    with pytest.raises(ClientError) as foreign:
        logs.filter_log_events(logGroupName=GROUP, startTime=base_ms + 1, nextToken=token)

    assert error_of(garbage) == (400, "InvalidParameterException", "The specified nextToken is invalid.")
    assert error_of(foreign) == (400, "InvalidParameterException", "The specified nextToken is invalid.")


def test_reject_next_token_once(fake: FakeCloudWatch, logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms + i, f"e{i}") for i in range(3)]})
    token = logs.filter_log_events(logGroupName=GROUP, limit=1)["nextToken"]
    fake.plan.reject_next_token_once = True

    assert [e["message"] for e in logs.filter_log_events(logGroupName=GROUP, limit=1)["events"]] == ["e0"]
    with pytest.raises(ClientError) as excinfo:
        logs.filter_log_events(logGroupName=GROUP, limit=1, nextToken=token)
    retried = logs.filter_log_events(logGroupName=GROUP, limit=1, nextToken=token)

    assert error_of(excinfo) == (400, "InvalidParameterException", "The specified nextToken is invalid.")
    assert fake.plan.reject_next_token_once is False
    assert [e["message"] for e in retried["events"]] == ["e1"]


def test_infrequent_access_groups_and_log_group_class(fake: FakeCloudWatch, logs: Any, base_ms: int) -> None:
    seed(logs, "/std", {"s": [(base_ms, "m")]})
    seed(logs, "/ia", {"s": [(base_ms, "m")]})
    logs.create_log_group(logGroupName="/ia-created", logGroupClass="INFREQUENT_ACCESS")
    fake.plan.infrequent_access_groups.add("/ia")

    with pytest.raises(ClientError) as excinfo:
        logs.filter_log_events(logGroupName="/ia")
    classes = {g["logGroupName"]: g["logGroupClass"] for g in logs.describe_log_groups()["logGroups"]}

    assert error_of(excinfo) == (
        400,
        "InvalidOperationException",
        "FilterLogEvents is not supported for this log class.",
    )
    assert classes == {"/ia": "INFREQUENT_ACCESS", "/ia-created": "INFREQUENT_ACCESS", "/std": "STANDARD"}
    assert [e["message"] for e in logs.filter_log_events(logGroupName="/std")["events"]] == ["m"]


def test_denied_groups(fake: FakeCloudWatch, logs: Any, base_ms: int) -> None:
    seed(logs, "/secret", {"s": [(base_ms, "m")]})
    fake.plan.deny_groups = {"/secret"}

    with pytest.raises(ClientError) as excinfo:
        logs.filter_log_events(logGroupName="/secret")

    assert error_of(excinfo) == (
        400,
        "AccessDeniedException",
        "User: arn:aws:iam::123456789012:user/test is not authorized to perform: logs:FilterLogEvents"
        " on resource: arn:aws:logs:us-east-1:123456789012:log-group:/secret:log-stream:"
        " because no identity-based policy allows the logs:FilterLogEvents action",
    )


def test_requests_log_records_what_the_client_sent(fake: FakeCloudWatch, logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms, "m")]})
    logs.filter_log_events(logGroupName=GROUP, startTime=base_ms, endTime=base_ms + 10, limit=7)
    sts = make_client(fake.url, "sts")
    sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/reader", RoleSessionName="sess", DurationSeconds=3600)

    filters = [params for op, params in fake.requests if op == "FilterLogEvents"]
    assume = [params for op, params in fake.requests if op == "AssumeRole"]

    assert filters == [{"logGroupName": GROUP, "startTime": base_ms, "endTime": base_ms + 10, "limit": 7}]
    assert assume[0]["DurationSeconds"] == "3600"
    assert assume[0]["RoleSessionName"] == "sess"
    assert fake.calls["FilterLogEvents"] == 1
    assert fake.calls["AssumeRole"] == 1


# ----- faults --------------------------------------------------------------------------------------------


def test_rate_limit_throttles_like_aws(fake: FakeCloudWatch, logs: Any) -> None:
    fake.plan.rate_limits = {"DescribeLogGroups": 1.0}

    logs.describe_log_groups()
    with pytest.raises(ClientError) as excinfo:
        logs.describe_log_groups()

    assert error_of(excinfo) == (400, "ThrottlingException", "Rate exceeded")
    assert excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/x-amz-json-1.1"
    assert fake.throttles == {"DescribeLogGroups": 1}
    assert fake.calls["DescribeLogGroups"] == 2
    time.sleep(1.05)
    logs.describe_log_groups()
    assert fake.throttles == {"DescribeLogGroups": 1}


def test_throttle_all_storm(fake: FakeCloudWatch, logs: Any) -> None:
    fake.plan.throttle_all = True
    for _ in range(3):
        with pytest.raises(ClientError) as excinfo:
            logs.describe_log_groups()
        assert error_of(excinfo)[:2] == (400, "ThrottlingException")
    fake.plan.throttle_all = False

    logs.describe_log_groups()

    assert fake.throttles == {"DescribeLogGroups": 3}


def test_error_rate_gives_500_and_503(fake: FakeCloudWatch, logs: Any) -> None:
    fake.plan.error_rate = 1.0

    seen = []
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            logs.describe_log_groups()
        seen.append(error_of(excinfo)[:2])

    assert seen == [(500, "InternalFailure"), (503, "ServiceUnavailableException")]
    assert fake.faults == {"DescribeLogGroups": 2}


def test_drop_rate_closes_the_connection(fake: FakeCloudWatch, logs: Any) -> None:
    fake.plan.drop_rate = 1.0

    with pytest.raises(ConnectionClosedError):
        logs.describe_log_groups()
    fake.plan.drop_rate = 0.0
    logs.describe_log_groups()

    assert fake.faults == {"DescribeLogGroups": 1}
    assert fake.calls["DescribeLogGroups"] == 2


def test_latency(fake: FakeCloudWatch, logs: Any) -> None:
    fake.plan.latency_s = 0.2

    started = time.monotonic()
    logs.describe_log_groups()

    assert time.monotonic() - started >= 0.2


# ----- separate process ----------------------------------------------------------------------------------


def test_cli_serves_and_reports_stats(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "integration_tests.fake_cloudwatch", "--port", "0"]
    command += ["--latency", "0.01", "--rate", "DescribeLogGroups=5"]
    process = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("READY http://127.0.0.1:")
        url = line.split()[1]
        logs = make_client(url)

        logs.create_log_group(logGroupName="/cli")
        groups = logs.describe_log_groups()["logGroups"]
        plan_request = urllib.request.Request(
            f"{url}/_fake/plan", data=json.dumps({"throttle_all": True}).encode(), method="POST"
        )
        with urllib.request.urlopen(plan_request) as response:
            assert response.status == 200
        with pytest.raises(ClientError) as excinfo:
            logs.describe_log_groups()
        with urllib.request.urlopen(f"{url}/_fake/stats") as response:
            stats = json.loads(response.read())

        assert [(g["logGroupName"], g["logGroupClass"]) for g in groups] == [("/cli", "STANDARD")]
        assert error_of(excinfo)[:2] == (400, "ThrottlingException")
        assert stats == {
            "calls": {"CreateLogGroup": 1, "DescribeLogGroups": 2},
            "throttles": {"DescribeLogGroups": 1},
            "faults": {},
        }
    finally:
        process.terminate()
        process.wait(timeout=10)
