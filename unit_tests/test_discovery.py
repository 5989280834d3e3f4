"""Log groups and custom reports become stream definitions; a report's problems name its field."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from source_cloudwatch_logs.discovery import Discovery, StreamDefinition, discover_streams
from source_cloudwatch_logs.insights_events import InsightsSource
from source_cloudwatch_logs.log_events import EventQuery
from source_cloudwatch_logs.log_groups import LogGroups
from source_cloudwatch_logs.spec import parse_config
from unit_tests.conftest import group, stub_logs

LOGGER = logging.getLogger("test")


def groups(*names: str, log_class: str | None = None) -> dict[str, Any]:
    return {"logGroups": [{"logGroupName": n, **({"logGroupClass": log_class} if log_class else {})} for n in names]}


def discover(pages: list[Any], **settings: Any) -> list[StreamDefinition]:
    return discovery(pages, **settings).streams


def discovery(pages: list[Any], names: set[str] | None = None, **settings: Any) -> Discovery:
    logs, _ = stub_logs(groups=pages)
    config = parse_config({"region_name": "us-east-1", **settings})
    return discover_streams(LogGroups(logs=logs), config, LOGGER, names=names)


def test_one_stream_per_readable_group_then_reports(caplog: pytest.LogCaptureFixture) -> None:
    """Issue 12: Infrequent Access groups are read with Logs Insights; DELIVERY groups cannot be read at all."""
    report = {"name": "errors", "log_group_name": "api", "log_stream_name_prefix": "web-", "filter_pattern": "ERROR"}
    query = {"name": "slow", "log_group_name": "ia", "query": "fields @timestamp, ms | filter ms > 1000"}
    listed = [
        {"logGroupName": "api"},
        {"logGroupName": "del", "logGroupClass": "DELIVERY"},
        {"logGroupName": "ia", "logGroupClass": "INFREQUENT_ACCESS", "arn": "arn:aws:logs:us-east-1:1:log-group:ia:*"},
    ]
    streams = discover([{"logGroups": listed}], custom_log_reports=[report, query])
    assert [(s.name, s.query, s.insights) for s in streams] == [
        ("api", EventQuery(log_group="api"), None),
        ("ia", EventQuery(log_group="ia"), InsightsSource(groups=("arn:aws:logs:us-east-1:1:log-group:ia",))),
        ("errors", EventQuery(log_group="api", log_stream_name_prefix="web-", filter_pattern="ERROR"), None),
        (
            "slow",
            EventQuery(log_group="ia"),
            InsightsSource(
                groups=("arn:aws:logs:us-east-1:1:log-group:ia",),
                report_query="fields @timestamp, ms | filter ms > 1000",
                numeric=frozenset({"ms"}),
            ),
        ),
    ]
    assert streams[3].field == "custom_log_reports[1].query"
    assert streams[3].schema["properties"]["ms"] == {"type": ["null", "number"]}
    assert "Log group 'del' is not offered as a stream: its log class DELIVERY supports neither" in caplog.text


def test_a_report_outside_the_prefix_is_looked_up_by_name() -> None:
    report = {"name": "r", "log_group_name": "other", "log_stream_names": ["a"]}
    streams = discover([groups("app-1"), groups("other")], log_group_prefix="app-", custom_log_reports=[report])
    assert [(s.name, s.group.name, s.query.log_stream_names) for s in streams] == [
        ("app-1", "app-1", None),
        ("r", "other", ("a",)),
    ]


@pytest.mark.parametrize(
    ("pages", "report", "message"),
    [
        (
            [groups("app"), groups()],
            {"name": "r", "log_group_name": "gone"},
            "`custom_log_reports[0].log_group_name` 'gone' does not exist in region us-east-1: fix the name or "
            "remove the report.",
        ),
        (
            [groups("ia", log_class="INFREQUENT_ACCESS")],
            {"name": "r", "log_group_name": "ia"},
            "`custom_log_reports[0].log_group_name` 'ia': its log class INFREQUENT_ACCESS does not support "
            "FilterLogEvents, which a report without `query` uses. Give the report a Logs Insights `query` instead "
            "of its filter settings.",
        ),
    ],
)
def test_a_report_that_cannot_be_read_is_left_out_with_its_field_named(
    pages: list[Any], report: dict[str, Any], message: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 15 item 3: one report never fails the whole discover or sync."""
    found = discovery(pages, custom_log_reports=[report])
    assert [s.name for s in found.streams] == [pages[0]["logGroups"][0]["logGroupName"]]  # the group's own stream
    assert found.report_problems == [message]
    assert f"Custom report not offered as a stream: {message}" in caplog.text


def test_a_group_named_like_a_report_leaves_the_name_to_the_report(caplog: pytest.LogCaptureFixture) -> None:
    report = {"name": "orders-errors", "log_group_name": "orders", "filter_pattern": "ERROR"}
    streams = discover([groups("orders", "orders-errors")], custom_log_reports=[report])
    assert [(s.name, s.group.name, s.field) for s in streams] == [
        ("orders", "orders", None),
        ("orders-errors", "orders", "custom_log_reports[0]"),
    ]
    assert "Log group 'orders-errors' is not offered as a stream: a custom report has that name" in caplog.text


def test_a_read_describes_only_the_groups_its_catalog_selects() -> None:
    """Issue 15 item 10: DescribeLogGroups by name, 50 names a call, instead of listing every group."""
    logs, client = stub_logs(groups=[groups("g000", "g049"), groups("g050"), groups("api")])
    config = parse_config({"region_name": "us-east-1", "custom_log_reports": [{"name": "r", "log_group_name": "api"}]})
    selected = {f"g{i:03d}" for i in range(51)} | {"r"}
    found = discover_streams(LogGroups(logs=logs), config, LOGGER, names=selected)
    assert [s.name for s in found.streams] == ["g000", "g049", "g050", "r"]
    assert [call["logGroupIdentifiers"] for call in client.describe_calls] == [
        [f"g{i:03d}" for i in range(50)],
        ["g050"],
        ["api"],
    ]


def test_own_groups_keep_plain_names_and_linked_groups_are_named_by_account_and_read_by_arn() -> None:
    own = group("/app/api", arn="arn:aws:logs:us-east-1:123456789012:log-group:/app/api")
    linked = group("/app/api", arn="arn:aws:logs:us-east-1:210987654321:log-group:/app/api")
    assert StreamDefinition.of_group(own, "123456789012").name == "/app/api"
    assert StreamDefinition.of_group(own, "123456789012").query.params() == {"logGroupName": "/app/api"}
    stream = StreamDefinition.of_group(linked, "123456789012")
    assert stream.name == "210987654321:/app/api"
    assert stream.query.params() == {"logGroupIdentifier": "arn:aws:logs:us-east-1:210987654321:log-group:/app/api"}
    assert StreamDefinition.of_group(linked).name == "/app/api"  # linking off: every group is the account's


def test_a_monitoring_account_without_groups_of_its_own_names_every_group_as_linked() -> None:
    linked = group("/app/api", arn="arn:aws:logs:us-east-1:210987654321:log-group:/app/api")
    assert StreamDefinition.of_group(linked, "").name == "210987654321:/app/api"
