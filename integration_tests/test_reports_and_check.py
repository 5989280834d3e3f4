"""Custom reports and check through the real entry point, against the fake (testkit): what the fake adds over
moto here is AWS's validation of filter patterns and prefixes and `logGroupIdentifiers` (see testkit/README.md).

Issue 15: one report never fails a whole sync (item 3); AWS validation errors are config errors naming the
field, in check, discover and read (item 5); a read describes only the groups its catalog selects (item 10)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from testkit.connector import config, configured_catalog, run_connector
from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import HOUR, logs_client, now_ms, put_events


def seed(fake: FakeCloudWatch, *groups: str) -> dict[str, list[tuple[int, str]]]:
    client = logs_client(fake.url)
    base = now_ms() - HOUR
    seeded = {group: [(base + i, f"{group} ERROR {i}") for i in range(3)] for group in groups}
    for group, events in seeded.items():
        put_events(client, group, "s", events)
    return seeded


def discover(tmp_path: Path, settings: dict[str, Any]) -> dict[str, Any]:
    discovered = run_connector("discover", tmp_path, settings)
    assert discovered.returncode == 0, discovered.stdout + discovered.stderr
    return configured_catalog(discovered.catalog)


def test_a_report_whose_group_was_deleted_leaves_the_others_complete(fake: FakeCloudWatch, tmp_path: Path) -> None:
    seeded = seed(fake, "orders", "payments")
    settings = config(fake.url, custom_log_reports=[{"name": "orders-errors", "log_group_name": "orders"}])
    catalog = discover(tmp_path, settings)
    assert sorted(s["stream"]["name"] for s in catalog["streams"]) == ["orders", "orders-errors", "payments"]
    logs_client(fake.url).delete_log_group(logGroupName="orders")

    run = run_connector("read", tmp_path, settings, catalog=catalog)

    assert run.returncode == 0, run.stdout + run.stderr
    assert run.errors == []
    assert run.events_of("payments") == seeded["payments"]
    assert run.statuses("payments")[-1] == "COMPLETE"
    assert run.statuses("orders-errors") == ["INCOMPLETE"]
    assert run.statuses("orders") == ["INCOMPLETE"]
    assert (
        "Custom report not offered as a stream: `custom_log_reports[0].log_group_name` 'orders' does not exist in "
        "region us-east-1: fix the name or remove the report."
    ) in run.logs("WARN")

    status = run_connector("check", tmp_path, settings).connection_status
    assert status == {
        "status": "FAILED",
        "message": "`custom_log_reports[0].log_group_name` 'orders' does not exist in region us-east-1: fix the "
        "name or remove the report.",
    }


def test_a_group_named_like_a_report_never_fails_a_sync(fake: FakeCloudWatch, tmp_path: Path) -> None:
    seeded = seed(fake, "orders")
    settings = config(
        fake.url, custom_log_reports=[{"name": "orders-errors", "log_group_name": "orders", "filter_pattern": "ERROR"}]
    )
    catalog = discover(tmp_path, settings)
    seed(fake, "orders-errors")  # created later, named like the report

    run = run_connector("read", tmp_path, settings, catalog=catalog)

    assert run.returncode == 0, run.stdout + run.stderr
    assert run.events_of("orders-errors") == seeded["orders"]  # the report's events, not the new group's
    rediscovered = run_connector("discover", tmp_path, settings)
    assert sorted(s["name"] for s in rediscovered.catalog["streams"]) == ["orders", "orders-errors"]
    assert any("Log group 'orders-errors' is not offered as a stream" in w for w in rediscovered.logs("WARN"))
    assert run_connector("check", tmp_path, settings).connection_status == {"status": "SUCCEEDED"}


def test_a_filter_pattern_aws_refuses_is_a_config_error_naming_the_report(fake: FakeCloudWatch, tmp_path: Path) -> None:
    seed(fake, "api")
    bad = {"name": "server-errors", "log_group_name": "api", "filter_pattern": '{ $.status = "5'}
    settings = config(fake.url, custom_log_reports=[bad])
    rejected = (
        "AWS rejected `custom_log_reports[0]` (InvalidParameterException: Invalid character(s) in term "
        "'{ $.status = \"5'). Fix `custom_log_reports[0]` and run check again."
    )

    status = run_connector("check", tmp_path, settings).connection_status
    assert status == {
        "status": "FAILED",
        "message": f"Reading `custom_log_reports[0]` ('server-errors', log group 'api') fails: {rejected}",
    }
    catalog = discover(tmp_path, settings)
    run = run_connector("read", tmp_path, settings, catalog=catalog)
    assert run.returncode == 1
    failures = {(e["message"], e["failure_type"]) for e in run.errors}
    assert (f"Stream 'server-errors': {rejected}", "config_error") in failures
    assert run.statuses("api")[-1] == "COMPLETE"


def test_a_prefix_aws_refuses_is_a_config_error_naming_the_field(fake: FakeCloudWatch, tmp_path: Path) -> None:
    settings = config(fake.url, log_group_prefix="my app")
    expected = (
        "AWS rejected `log_group_prefix` (InvalidParameterException: 1 validation error detected: Value 'my app' at "
        "'logGroupNamePrefix' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        "[\\.\\-_/#A-Za-z0-9]+). Fix `log_group_prefix` and run check again."
    )
    discovered = run_connector("discover", tmp_path, settings)
    assert discovered.returncode == 1
    assert [(e["message"], e["failure_type"]) for e in discovered.errors] == [(expected, "config_error")]
    assert "Traceback" not in discovered.stdout + discovered.stderr
    assert run_connector("check", tmp_path, settings).connection_status == {"status": "FAILED", "message": expected}


def test_a_read_describes_only_the_groups_its_catalog_selects(fake: FakeCloudWatch, tmp_path: Path) -> None:
    client = logs_client(fake.url)
    for index in range(120):
        client.create_log_group(logGroupName=f"/aws/lambda/f{index:03d}")
    seeded = seed(fake, "/aws/lambda/f007")
    catalog = discover(tmp_path, config(fake.url))
    catalog["streams"] = [s for s in catalog["streams"] if s["stream"]["name"] == "/aws/lambda/f007"]
    fake.calls.clear()

    run = run_connector("read", tmp_path, config(fake.url), catalog=catalog)

    assert run.events_of("/aws/lambda/f007") == seeded["/aws/lambda/f007"]
    assert fake.calls["DescribeLogGroups"] == 1  # listing all 120 groups would take 3 pages
