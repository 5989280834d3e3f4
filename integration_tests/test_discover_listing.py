"""Issue 23: `discover` and `check` list log groups with ListLogGroups, 1,000 a call (they need a group's name,
ARN and class only), through the real entry point against the fake (testkit/list_log_groups.py: moto lacks the
operation); an endpoint that lacks it (moto's own answer, HTTP 500) is asked once, not retried, and the listing
falls back to DescribeLogGroups with one debug log line (discover and check print no INFO line: issue 24),
giving the same catalog."""

from __future__ import annotations

from pathlib import Path

from moto.core import DEFAULT_ACCOUNT_ID
from moto.logs.models import logs_backends

from testkit.connector import config, run_connector
from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import REGION

GROUPS = 2_100  # three ListLogGroups pages, 42 DescribeLogGroups pages
NAMES = sorted(f"/aws/lambda/fn-{n:05d}" for n in range(GROUPS))
REFUSED = "ListLogGroups is refused at {url} (500, HTTP 500): log groups are listed with DescribeLogGroups, 50 a call instead of 1000."


def _seed(fake: FakeCloudWatch) -> None:
    """Straight into moto's backend, in reverse name order (ListLogGroups promises no order)."""
    backend = logs_backends[DEFAULT_ACCOUNT_ID][REGION]
    for name in reversed(NAMES):
        backend.create_log_group(name, tags={})
    fake.plan.infrequent_access_groups = {NAMES[5]}


def _discovered(fake: FakeCloudWatch, tmp_path: Path, **settings: object) -> tuple[list[str], list[str]]:
    run = run_connector("discover", tmp_path, config(fake.url, **settings), env={"LOG_LEVEL": "debug"})
    assert run.returncode == 0, run.stderr[-3000:]
    lines = [line for level in ("DEBUG", "INFO", "WARN") for line in run.logs(level)]
    told = [line.split(" ///")[0] for line in lines if "ListLogGroups" in line]  # less the CDK's debug suffix
    return [stream["name"] for stream in run.catalog["streams"]], told


def test_discover_lists_a_thousand_groups_a_call_in_name_order(fake: FakeCloudWatch, tmp_path: Path) -> None:
    _seed(fake)
    streams, told = _discovered(fake, tmp_path)
    assert streams == NAMES  # every group, the Infrequent Access one too, sorted by name
    assert dict(fake.calls) == {"ListLogGroups": 3}
    assert [body for operation, body in fake.requests] == [
        {"limit": 1000},
        {"limit": 1000, "nextToken": "1000"},
        {"limit": 1000, "nextToken": "2000"},
    ]
    assert told == []


def test_a_prefix_is_sent_as_a_name_pattern(fake: FakeCloudWatch, tmp_path: Path) -> None:
    _seed(fake)
    streams, _ = _discovered(fake, tmp_path, log_group_prefix="/aws/lambda/fn-001")
    assert streams == [name for name in NAMES if name.startswith("/aws/lambda/fn-001")]
    assert fake.requests == [("ListLogGroups", {"limit": 1000, "logGroupNamePattern": "^/aws/lambda/fn-001"})]


def test_an_endpoint_without_list_log_groups_is_listed_with_describe_log_groups(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    _seed(fake)
    fake.plan.lacks_list_log_groups = True  # forwarded to moto, which answers HTTP 500
    streams, told = _discovered(fake, tmp_path)
    assert streams == NAMES
    assert dict(fake.calls) == {"ListLogGroups": 1, "DescribeLogGroups": 42}  # not retried
    assert told == [REFUSED.format(url=fake.url)]


def test_check_lists_one_page(fake: FakeCloudWatch, tmp_path: Path) -> None:
    _seed(fake)
    run = run_connector("check", tmp_path, config(fake.url))
    assert run.connection_status["status"] == "SUCCEEDED", run.connection_status
    sweep_probe = {"StartQuery": 1, "GetQueryResults": 1, "StopQuery": 1}  # the late-event sweep's permission
    assert dict(fake.calls) == {"ListLogGroups": 1, "FilterLogEvents": 1, **sweep_probe}
