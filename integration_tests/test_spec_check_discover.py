"""spec, check and discover through the real entry point, against moto (and the AWS-faithful wrapper where
moto lacks a behaviour: log classes, per-group AccessDenied)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from testkit.connector import config, run_connector
from testkit.fake_logs import FakeCloudWatch
from testkit.messages import Output
from testkit.seeding import DAY, logs_client, now_ms, put_events
from testkit.server_process import closed_port, silent_endpoint

QUIET = {"LOG_LEVEL": "info"}  # the CDK's debug switch off, whatever the tests' environment says
DEBUG_LINE = "MemoryMonitor instantiated"  # the CDK's diagnostic line every command started with (issue 24)


def test_spec(tmp_path: Path) -> None:
    out = run_connector("spec", tmp_path, env=QUIET)
    assert out.returncode == 0
    assert [message["type"] for message in out.messages] == ["SPEC"]  # nothing but the spec
    (spec,) = out.of("SPEC")
    schema = spec["spec"]["connectionSpecification"]
    assert schema["required"] == ["region_name"]
    assert schema["properties"]["aws_secret_access_key"]["airbyte_secret"] is True
    assert spec["spec"]["documentationUrl"].startswith("https://")
    # The form grouped by task (issue 24; unit_tests/test_spec.py pins the cards and the report's choices).
    assert [group["title"] for group in schema["groups"]] == [
        "Connection and credentials",
        "What to replicate",
        "Records",
        "Late events",
        "Pacing and Logs Insights",
    ]
    assert {field["group"] for field in schema["properties"].values()} == {group["id"] for group in schema["groups"]}
    assert len(schema["properties"]["custom_log_reports"]["items"]["oneOf"]) == 6


def test_check_succeeds_when_groups_can_be_listed_and_read(tmp_path: Path, logs: Any, endpoint: str) -> None:
    put_events(logs, "/aws/lambda/a", "s", [(now_ms() - DAY, "x")])
    out = run_connector("check", tmp_path, config(endpoint, log_group_prefix="/aws/lambda/"))
    assert out.returncode == 0
    assert out.connection_status == {"status": "SUCCEEDED"}


def test_check_and_discover_print_no_cdk_diagnostics_unless_debug(tmp_path: Path, logs: Any, endpoint: str) -> None:
    """Issue 24: the CDK's own INFO lines ("MemoryMonitor instantiated ...", "Check succeeded") are left out of
    spec, check and discover; --debug or LOG_LEVEL=debug brings them back."""
    put_events(logs, "/aws/lambda/a", "s", [(now_ms() - DAY, "x")])
    check = run_connector("check", tmp_path, config(endpoint), env=QUIET)
    assert check.returncode == 0
    assert [message["type"] for message in check.messages] == ["CONNECTION_STATUS"]
    discover = run_connector("discover", tmp_path, config(endpoint), env=QUIET)
    assert discover.returncode == 0
    assert [message["type"] for message in discover.messages] == ["CATALOG"]

    debug_check = run_connector("check", tmp_path, config(endpoint), env=QUIET, extra_args=["--debug"])
    assert debug_check.connection_status == {"status": "SUCCEEDED"}
    assert [line for line in debug_check.logs("INFO") if line.startswith(DEBUG_LINE)] != []
    assert "Check succeeded" in debug_check.logs("INFO")
    for command, connector_config in (("spec", None), ("discover", config(endpoint))):
        debug = run_connector(command, tmp_path, connector_config, env={"LOG_LEVEL": "debug"})
        assert debug.returncode == 0
        assert [line for line in debug.logs("INFO") if line.startswith(DEBUG_LINE)] != [], command


def test_check_fails_when_the_prefix_matches_nothing(tmp_path: Path, logs: Any, endpoint: str) -> None:
    put_events(logs, "/aws/lambda/a", "s", [(now_ms() - DAY, "x")])
    out = run_connector("check", tmp_path, config(endpoint, log_group_prefix="/aws/ecs/"))
    assert out.connection_status["status"] == "FAILED"
    assert out.connection_status["message"] == (
        "No readable log group starts with '/aws/ecs/' in region us-east-1, and no custom_log_reports are set: "
        "there is nothing to replicate. Fix log_group_prefix or region_name."
    )


def test_check_fails_when_a_report_names_a_missing_group(tmp_path: Path, logs: Any, endpoint: str) -> None:
    put_events(logs, "app", "s", [(now_ms() - DAY, "x")])
    reports = [{"name": "errors", "log_group_name": "does-not-exist"}]
    out = run_connector("check", tmp_path, config(endpoint, custom_log_reports=reports))
    assert out.connection_status["status"] == "FAILED"
    assert out.connection_status["message"] == (
        "`custom_log_reports[0].log_group_name` 'does-not-exist' does not exist in region us-east-1: "
        "fix the name or remove the report."
    )


def test_check_reports_an_unreachable_endpoint(tmp_path: Path) -> None:
    port = closed_port()
    out = run_connector("check", tmp_path, config(f"http://127.0.0.1:{port}"))
    assert out.returncode == 0
    assert out.connection_status["status"] == "FAILED"
    assert out.connection_status["message"].startswith(f"Could not reach CloudWatch Logs at http://127.0.0.1:{port}")
    assert "Traceback" not in out.stdout


def test_check_names_the_missing_filter_permission(tmp_path: Path, fake: FakeCloudWatch) -> None:
    """Faked: AccessDeniedException on FilterLogEvents for one group (moto has no IAM enforcement)."""
    put_events(logs_client(fake.url), "app", "s", [(now_ms() - DAY, "x")])
    fake.plan.deny_groups = {"app"}
    out = run_connector("check", tmp_path, config(fake.url))
    assert out.connection_status["status"] == "FAILED"
    message = out.connection_status["message"]
    assert message.startswith("Listing log groups works, but reading 'app' fails: Permission denied")
    assert "Grant logs:FilterLogEvents." in message


def test_check_and_read_refuse_a_bad_config_with_a_message(tmp_path: Path, endpoint: str) -> None:
    bad = config(
        endpoint,
        custom_log_reports=[
            {"name": "r", "log_group_name": "g", "log_stream_names": ["a"], "log_stream_name_prefix": "a"}
        ],
    )
    check = run_connector("check", tmp_path, bad)
    assert check.returncode == 0
    assert check.connection_status["status"] == "FAILED"
    assert check.connection_status["message"] == (
        "Invalid configuration: `custom_log_reports[0]` log_stream_names and log_stream_name_prefix cannot be used "
        "together (CloudWatch refuses the combination); keep one of them."
    )
    read = run_connector("read", tmp_path, bad, catalog={"streams": []})
    assert read.returncode == 1
    (error,) = read.errors
    assert error["failure_type"] == "config_error"
    assert error["message"] == check.connection_status["message"]
    assert "Traceback" not in error["message"]


def test_discover_offers_one_stream_per_group_and_report(tmp_path: Path, logs: Any, endpoint: str) -> None:
    for index in range(60):  # more than one DescribeLogGroups page (50)
        logs.create_log_group(logGroupName=f"/aws/lambda/fn-{index:02d}")
    logs.create_log_group(logGroupName="other")
    reports = [
        {"name": "fn_errors", "log_group_name": "/aws/lambda/fn-07", "filter_pattern": "ERROR"},
        {"name": "other_report", "log_group_name": "other"},
    ]

    out = run_connector(
        "discover", tmp_path, config(endpoint, log_group_prefix="/aws/lambda/", custom_log_reports=reports)
    )

    assert out.returncode == 0
    streams = out.catalog["streams"]
    assert [s["name"] for s in streams] == [f"/aws/lambda/fn-{i:02d}" for i in range(60)] + [
        "fn_errors",
        "other_report",
    ]
    for stream in streams:
        assert stream["supported_sync_modes"] == ["full_refresh", "incremental"]
        assert stream["source_defined_cursor"] is True
        assert stream["default_cursor_field"] == ["timestamp"]
        assert stream["source_defined_primary_key"] == [["eventId"]]
        properties = stream["json_schema"]["properties"]
        assert set(properties) == {
            "eventId",
            "timestamp",
            "event_time",
            "message",
            "logStreamName",
            "ingestionTime",
            "logGroupName",
            "accountId",
            "awsRegion",
        }
        assert properties["event_time"]["airbyte_type"] == "timestamp_with_timezone"


def test_discover_offers_infrequent_access_groups_with_the_same_schema(tmp_path: Path, fake: FakeCloudWatch) -> None:
    """Faked: log classes (moto accepts and forgets them); the wrapper reports INFREQUENT_ACCESS as AWS does.
    Issue 12: such a group is read with Logs Insights (integration_tests/test_insights.py), so it is a stream."""
    client = logs_client(fake.url)
    client.create_log_group(logGroupName="standard")
    client.create_log_group(logGroupName="cheap", logGroupClass="INFREQUENT_ACCESS")
    out = run_connector("discover", tmp_path, config(fake.url))
    cheap, standard = out.catalog["streams"]
    assert (cheap["name"], standard["name"]) == ("cheap", "standard")
    assert {**cheap, "name": "standard"} == standard
    assert out.logs("WARN") == []


def test_discover_gives_a_report_named_like_a_log_group_its_name(tmp_path: Path, logs: Any, endpoint: str) -> None:
    """The configured report keeps its name; the group is left out with a warning (issue 15, item 3)."""
    logs.create_log_group(logGroupName="app")
    logs.create_log_group(logGroupName="web")
    reports = [{"name": "app", "log_group_name": "web", "filter_pattern": "ERROR"}]
    out = run_connector("discover", tmp_path, config(endpoint, custom_log_reports=reports))
    assert out.returncode == 0
    assert out.errors == []
    assert sorted(stream["name"] for stream in out.catalog["streams"]) == ["app", "web"]
    assert (
        "Log group 'app' is not offered as a stream: a custom report has that name, and keeps it. Rename the report "
        "to replicate both."
    ) in out.logs("WARN")


def test_discover_warns_about_names_destinations_would_merge(tmp_path: Path, logs: Any, endpoint: str) -> None:
    for name in ("/aws/lambda/order-handler", "/aws/lambda/order_handler", "/aws/lambda/Order-Handler"):
        logs.create_log_group(logGroupName=name)
    out = run_connector("discover", tmp_path, config(endpoint))
    assert out.returncode == 0
    assert len(out.catalog["streams"]) == 3
    assert [w for w in out.logs("WARN") if "overwrite each other" in w] == [
        "Streams '/aws/lambda/Order-Handler', '/aws/lambda/order-handler', '/aws/lambda/order_handler' all become "
        "table '_aws_lambda_order_handler' in most destinations and would overwrite each other: select only one, "
        "or read them through custom reports with distinct names."
    ]


def test_check_and_discover_end_promptly_when_the_endpoint_never_answers(tmp_path: Path) -> None:
    """Issue 15 item 11: before, check took 122 s here (2 attempts x a 60 s read timeout). Issue 24: before,
    discover ran for more than 5 minutes here (10 attempts x a 60 s read timeout); now it has a bound of its own
    (DISCOVER_MAX_ATTEMPTS x DISCOVER_READ_TIMEOUT_S, about 30 s). Both run at once (they only wait). Faked:
    nothing; a socket that accepts connections and never reads them. The bound is loose on purpose (CI machines
    vary)."""

    def timed(command: str) -> tuple[Output, float]:
        workdir = tmp_path / command  # each its own input files
        workdir.mkdir()
        started = time.monotonic()
        out = run_connector(command, workdir, config(url), timeout=120)
        return out, time.monotonic() - started

    with silent_endpoint() as url, ThreadPoolExecutor(max_workers=2) as pool:
        (checked, check_took), (discovered, discover_took) = pool.map(timed, ["check", "discover"])

    assert checked.returncode == 0
    assert checked.connection_status["status"] == "FAILED"
    assert checked.connection_status["message"].startswith(
        f'logs:ListLogGroups failed: Read timeout on endpoint URL: "{url}/"'
    )
    assert check_took < 60

    assert discovered.returncode == 1
    assert discovered.of("CATALOG") == []
    (error,) = discovered.errors
    assert error["failure_type"] == "system_error"  # transient: the platform retries
    assert error["message"] == (
        f'logs:ListLogGroups failed: Read timeout on endpoint URL: "{url}/": the endpoint accepted the '
        "connection but sent no answer in time. Check that endpoint_url, if set, is an AWS endpoint (or a VPC "
        "endpoint or proxy that forwards to one) that answers, and that no firewall or proxy on the way holds "
        "connections open."
    )
    assert discover_took < 60
