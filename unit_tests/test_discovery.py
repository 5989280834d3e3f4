"""Log groups and custom reports become stream definitions; a report's problems name its field."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from source_cloudwatch_logs.aws.insights_events import InsightsSource
from source_cloudwatch_logs.aws.log_events import EventQuery
from source_cloudwatch_logs.aws.log_groups import LogGroups
from source_cloudwatch_logs.discovery import Discovery, MergedDefinition, StreamDefinition, discover_streams
from source_cloudwatch_logs.records import CONNECTOR_COLUMNS
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
    assert [(s.name, s.request) for s in streams] == [
        ("api", EventQuery(log_group="api")),
        ("ia", InsightsSource(groups=("arn:aws:logs:us-east-1:1:log-group:ia",))),
        ("errors", EventQuery(log_group="api", log_stream_name_prefix="web-", filter_pattern="ERROR")),
        (
            "slow",
            InsightsSource(
                groups=("arn:aws:logs:us-east-1:1:log-group:ia",),
                report_query="fields @timestamp, ms | filter ms > 1000",
                numeric=frozenset({"ms"}),
                reserved=CONNECTOR_COLUMNS,
            ),
        ),
    ]
    assert streams[3].setting == "custom_log_reports[1].query"
    assert streams[3].schema["properties"]["ms"] == {"type": ["null", "number"]}
    assert "Log group 'del' is not offered as a stream: its log class DELIVERY supports neither" in caplog.text


def test_a_report_outside_the_prefix_is_looked_up_by_name() -> None:
    report = {"name": "r", "log_group_name": "other", "log_stream_names": ["a"]}
    streams = discover([groups("app-1"), groups("other")], log_group_prefix="app-", custom_log_reports=[report])
    assert [(s.name, s.group.name, s.request.log_stream_names) for s in streams] == [
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
            {"name": "r", "log_group_name": "ia", "filter_pattern": "ERROR", "log_stream_names": ["a"]},
            "`custom_log_reports[0].log_group_name` 'ia': its log class INFREQUENT_ACCESS does not support "
            "FilterLogEvents, which the report's filter_pattern and log_stream_names need (Logs Insights reads that "
            "class, but cannot apply them). Express the filter as a Logs Insights `query` instead, or remove these "
            "settings.",
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
    # A read that selects it says why it ends INCOMPLETE (plan.py); a report whose group is not found is looked up.
    assert found.refused == ({} if "does not exist" in message else {"r": message})


def test_a_group_named_like_a_report_leaves_the_name_to_the_report(caplog: pytest.LogCaptureFixture) -> None:
    report = {"name": "orders-errors", "log_group_name": "orders", "filter_pattern": "ERROR"}
    streams = discover([groups("orders", "orders-errors")], custom_log_reports=[report])
    assert [(s.name, s.group.name, s.setting) for s in streams] == [
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
    assert StreamDefinition.of_group(own, "123456789012").request.params() == {"logGroupName": "/app/api"}
    stream = StreamDefinition.of_group(linked, "123456789012")
    assert stream.name == "210987654321:/app/api"
    assert stream.request.params() == {"logGroupIdentifier": "arn:aws:logs:us-east-1:210987654321:log-group:/app/api"}
    assert StreamDefinition.of_group(linked).name == "/app/api"  # linking off: every group is the account's


def test_a_monitoring_account_without_groups_of_its_own_names_every_group_as_linked() -> None:
    linked = group("/app/api", arn="arn:aws:logs:us-east-1:210987654321:log-group:/app/api")
    assert StreamDefinition.of_group(linked, "").name == "210987654321:/app/api"


IA_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:ia"


def test_a_report_on_an_infrequent_access_group_without_filters_is_read_with_insights() -> None:
    """Issue 20 item 11: like the group's own stream (it was refused before)."""
    listed = {"logGroups": [{"logGroupName": "ia", "logGroupClass": "INFREQUENT_ACCESS", "arn": f"{IA_ARN}:*"}]}
    report = {"name": "r", "log_group_name": "ia"}
    streams = discover([{"logGroups": []}, listed], log_group_prefix="none", custom_log_reports=[report])
    assert [(s.name, s.request, s.setting) for s in streams] == [
        ("r", InsightsSource(groups=(IA_ARN,)), "custom_log_reports[0]")
    ]


OWN, SOURCE_A, SOURCE_B = "123456789012", "210987654321", "333333333333"


def described(name: str, account: str = OWN, log_class: str | None = None) -> dict[str, Any]:
    group = {"logGroupName": name, "arn": f"arn:aws:logs:us-east-1:{account}:log-group:{name}:*"}
    return {**group, "logGroupClass": log_class} if log_class else group


def arn(account: str, name: str) -> str:
    return f"arn:aws:logs:us-east-1:{account}:log-group:{name}"


def merged_of(found: Discovery) -> MergedDefinition:
    (stream,) = [s for s in found.streams if isinstance(s, MergedDefinition)]
    return stream


def test_merged_members_named_by_arn_are_read_by_arn_and_keyed_by_account(caplog: pytest.LogCaptureFixture) -> None:
    """Issue 20 items 9 and 10: two source accounts' `/lnk/app` and the account's own, on an endpoint that answers
    every group whatever was asked; the missing-names warning names only what was not found."""
    own_listing = {"logGroups": [described("/lnk/app"), described("/other")]}
    linked_listing = {"logGroups": [described("/lnk/app", a) for a in (OWN, SOURCE_A, SOURCE_B)]}
    report = {
        "name": "lnk",
        "log_group_names": ["/lnk/app", arn(SOURCE_A, "/lnk/app"), f"{arn(SOURCE_B, '/lnk/app')}:*", "/missing"],
    }
    found = discovery(
        [{"logGroups": []}, own_listing, linked_listing], log_group_prefix="none", custom_log_reports=[report]
    )
    members = merged_of(found).members
    assert [(m.state_key, m.group.account_id, m.request.params()) for m in members] == [
        ("/lnk/app", OWN, {"logGroupName": "/lnk/app"}),
        (f"{SOURCE_A}:/lnk/app", SOURCE_A, {"logGroupIdentifier": arn(SOURCE_A, "/lnk/app")}),
        (f"{SOURCE_B}:/lnk/app", SOURCE_B, {"logGroupIdentifier": arn(SOURCE_B, "/lnk/app")}),
    ]
    assert "`custom_log_reports[0].log_group_names`: '/missing' do not exist in region us-east-1 (yet)" in caplog.text
    assert "arn:" not in caplog.text


def test_a_prefix_report_spans_the_linked_accounts_like_the_top_level_prefix() -> None:
    """Issue 20 item 9: with include_linked_accounts, the own account's groups keep their plain keys, the linked
    accounts' are `<account>:<name>` and read by ARN; account_identifiers narrows them."""
    first = {"logGroups": [described("/own-only")]}  # own_account: one group of the credentials' account
    listing = {"logGroups": [described("/app/x"), described("/app/x", SOURCE_A), described("/app/y", SOURCE_B)]}
    report = {"name": "app", "log_group_prefix": "/app/"}
    found = discovery(
        [first, {"logGroups": []}, listing],
        log_group_prefix="none",
        include_linked_accounts=True,
        account_identifiers=[SOURCE_A],
        custom_log_reports=[report],
    )
    members = merged_of(found).members
    assert [(m.state_key, m.request.params()) for m in members] == [
        ("/app/x", {"logGroupName": "/app/x"}),
        (f"{SOURCE_A}:/app/x", {"logGroupIdentifier": arn(SOURCE_A, "/app/x")}),
    ]


def test_merged_infrequent_access_members_without_filters_are_read_with_insights() -> None:
    """Issue 20 item 11: as their own streams would be; a DELIVERY group is no member, as it is no stream."""
    listing = {
        "logGroups": [
            described("/aws/lambda/a"),
            described("/aws/lambda/cold", log_class="INFREQUENT_ACCESS"),
            described("/aws/lambda/del", log_class="DELIVERY"),
        ]
    }
    found = discovery(
        [{"logGroups": []}, listing], custom_log_reports=[{"name": "l", "log_group_prefix": "/aws/lambda/"}]
    )
    merged = merged_of(found)
    assert [(m.state_key, m.request) for m in merged.members] == [
        ("/aws/lambda/a", EventQuery(log_group="/aws/lambda/a")),
        ("/aws/lambda/cold", InsightsSource(groups=(arn(OWN, "/aws/lambda/cold"),))),
    ]
    assert (merged.left_out, merged.left_out_problem) == ((), None)


def test_merged_infrequent_access_members_a_filter_cannot_apply_to_are_left_out_and_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    listing = {
        "logGroups": [
            described("/aws/lambda/a"),
            described("/aws/lambda/cold", log_class="INFREQUENT_ACCESS"),
        ]
    }
    report = {"name": "l", "log_group_prefix": "/aws/lambda/", "filter_pattern": "ERROR"}
    found = discovery([{"logGroups": []}, listing], custom_log_reports=[report])
    merged = merged_of(found)
    assert [m.state_key for m in merged.members] == ["/aws/lambda/a"]
    assert merged.left_out == ("/aws/lambda/cold",)
    problem = (
        "`custom_log_reports[0]` ('l'): log group(s) '/aws/lambda/cold' cannot be read as the report asks: their log "
        "class INFREQUENT_ACCESS does not support FilterLogEvents, and Logs Insights, which reads that class, cannot "
        "apply filter_pattern. Express the filter as a Logs Insights `query` instead (e.g. `filter @message like "
        "/ERROR/`), or choose the report's log groups so that these are not among them."
    )
    assert merged.left_out_problem == problem
    assert (
        f"{problem} Stream 'l' reads its other log groups, then ends INCOMPLETE with this error on every sync until "
        "this is fixed." in caplog.text
    )


def test_a_read_never_looks_up_names_no_group_can_have() -> None:
    """A linked stream's name with linking off, or a removed report's name with a space, would fail the whole
    DescribeLogGroups call: they are not asked for (plan.py decides what becomes of them)."""
    logs, client = stub_logs(groups=[groups("g")])
    config = parse_config({"region_name": "us-east-1"})
    found = discover_streams(LogGroups(logs=logs), config, LOGGER, names={"g", f"{SOURCE_A}:/app", "old report"})
    assert [s.name for s in found.streams] == ["g"]
    assert client.describe_calls == [{"logGroupIdentifiers": ["g"]}]


def test_a_group_named_twice_by_name_and_by_arn_is_one_member_under_its_plain_key() -> None:
    listing = {"logGroups": [described("/x")]}
    report = {"name": "r", "log_group_names": [arn(OWN, "/x"), "/x"]}
    found = discovery([{"logGroups": []}, listing, listing], log_group_prefix="none", custom_log_reports=[report])
    assert [(m.state_key, m.request.params()) for m in merged_of(found).members] == [("/x", {"logGroupName": "/x"})]


def test_many_unreadable_groups_of_a_merged_report_are_one_warning_naming_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 23: 40 DELIVERY groups under a report's prefix are one warning, not 40; one alone keeps its line."""
    listing = {
        "logGroups": [described("/aws/lambda/a")]
        + [described(f"/aws/lambda/del-{n:02d}", log_class="DELIVERY") for n in range(40)]
    }
    found = discovery(
        [{"logGroups": []}, listing], custom_log_reports=[{"name": "l", "log_group_prefix": "/aws/lambda/"}]
    )
    assert [m.state_key for m in merged_of(found).members] == ["/aws/lambda/a"]
    left_out = [r.getMessage() for r in caplog.records if "left out of stream" in r.getMessage()]
    assert left_out == [
        "40 log groups are left out of stream 'l' ('/aws/lambda/del-00', '/aws/lambda/del-01', '/aws/lambda/del-02' "
        "and 37 more): their log class DELIVERY supports neither FilterLogEvents nor Logs Insights (STANDARD and "
        "INFREQUENT_ACCESS groups do). Deliver their logs to a STANDARD log group to replicate them."
    ]
    caplog.clear()
    listing = {"logGroups": [described("/aws/lambda/a"), described("/aws/lambda/del", log_class="DELIVERY")]}
    discovery([{"logGroups": []}, listing], custom_log_reports=[{"name": "l", "log_group_prefix": "/aws/lambda/"}])
    assert [r.getMessage() for r in caplog.records if "left out of stream" in r.getMessage()] == [
        "Log group '/aws/lambda/del' is left out of stream 'l': its log class DELIVERY supports neither "
        "FilterLogEvents nor Logs Insights (STANDARD and INFREQUENT_ACCESS groups do). Deliver its logs to a "
        "STANDARD log group to replicate them."
    ]
