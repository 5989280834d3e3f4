"""Log groups and custom reports become stream definitions; a report's problems name its field."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.discovery import StreamDefinition, discover_streams
from source_cloudwatch_logs.log_events import EventQuery
from source_cloudwatch_logs.log_groups import LogGroups
from source_cloudwatch_logs.spec import parse_config
from unit_tests.conftest import stub_logs

LOGGER = logging.getLogger("test")


def groups(*names: str, log_class: str | None = None) -> dict[str, Any]:
    return {"logGroups": [{"logGroupName": n, **({"logGroupClass": log_class} if log_class else {})} for n in names]}


def discover(pages: list[Any], **settings: Any) -> list[StreamDefinition]:
    logs, _ = stub_logs(groups=pages)
    return discover_streams(LogGroups(logs=logs), parse_config({"region_name": "us-east-1", **settings}), LOGGER)


def test_one_stream_per_readable_group_then_reports(caplog: pytest.LogCaptureFixture) -> None:
    report = {"name": "errors", "log_group_name": "api", "log_stream_name_prefix": "web-", "filter_pattern": "ERROR"}
    streams = discover(
        [{"logGroups": [{"logGroupName": "api"}, {"logGroupName": "ia", "logGroupClass": "INFREQUENT_ACCESS"}]}],
        custom_log_reports=[report],
    )
    assert [(s.name, s.query) for s in streams] == [
        ("api", EventQuery(log_group="api")),
        ("errors", EventQuery(log_group="api", log_stream_name_prefix="web-", filter_pattern="ERROR")),
    ]
    assert "Log group 'ia' is not offered as a stream: its log class INFREQUENT_ACCESS" in caplog.text


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
            "`custom_log_reports[0].log_group_name` 'gone' does not exist in region us-east-1; fix the name or "
            "remove the report.",
        ),
        (
            [groups("app")],
            {"name": "app", "log_group_name": "app"},
            "`custom_log_reports[0].name` 'app' is also the name of a discovered log group; choose another stream "
            "name for the report.",
        ),
        (
            [groups("ia", log_class="INFREQUENT_ACCESS")],
            {"name": "r", "log_group_name": "ia"},
            "`custom_log_reports[0].log_group_name` 'ia' has log class INFREQUENT_ACCESS, which does not support "
            "FilterLogEvents; only STANDARD log groups can be read.",
        ),
    ],
)
def test_report_problems_name_the_field(pages: list[Any], report: dict[str, Any], message: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        discover(pages, custom_log_reports=[report])
    assert raised.value.message == message
