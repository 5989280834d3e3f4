"""check: lists one page of groups, probes every custom report with its own query and groups one family at a
time, and names what it could not read. The API is a stub (see conftest.StubClient): IAM denials and AWS's
validation errors are scripted as AWS returns them."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from airbyte_cdk.models import Status

from source_cloudwatch_logs import check
from source_cloudwatch_logs.aws.client import CHECK_MAX_ATTEMPTS, CHECK_READ_TIMEOUT_S, CONNECT_TIMEOUT_S
from source_cloudwatch_logs.check import MAX_GROUP_PROBES, check_connection
from source_cloudwatch_logs.spec import parse_config
from unit_tests.conftest import aws_error, stub_logs

LOGGER = logging.getLogger("test")
DENIED = "User: arn:aws:iam::123456789012:user/etl is not authorized to perform: logs:FilterLogEvents"


def groups(*names: str, token: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"logGroups": [{"logGroupName": name} for name in names]}
    if token:
        answer["nextToken"] = token
    return answer


def run(  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    describe: list[Any],
    filter_: list[Any],
    query_error: Exception | None = None,
    **settings: Any,
):
    logs, client = stub_logs(pages=filter_, groups=describe)
    client.query_error = query_error
    monkeypatch.setattr(check, "connect", lambda *args, **kwargs: logs)
    status = check_connection(parse_config({"region_name": "us-east-1", **settings}), LOGGER)
    return status, client


def denied() -> Exception:
    return aws_error("AccessDeniedException", DENIED)


def test_a_policy_narrowed_to_one_family_passes_and_names_the_rest(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 15 item 4: FilterLogEvents allowed on /aws/lambda/* only; /aws/apigateway/... sorts first."""
    listed = groups("/aws/apigateway/a", "/aws/apigateway/b", "/aws/lambda/x", "/aws/lambda/y", token="more")
    status, client = run(monkeypatch, [listed], [denied(), {"events": []}])
    assert status.status == Status.SUCCEEDED
    assert [call["logGroupName"] for call in client.calls] == ["/aws/apigateway/a", "/aws/lambda/x"]
    assert len(client.describe_calls) == 1  # one page proves listing works
    assert "These log groups cannot be read and their streams will fail: '/aws/apigateway/a'." in caplog.text


def test_no_readable_group_fails_naming_the_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"/app/g{i:02d}" for i in range(MAX_GROUP_PROBES + 3)]
    status, client = run(monkeypatch, [groups(*names)], [denied()] * MAX_GROUP_PROBES)
    assert status.status == Status.FAILED
    tried = ", ".join(f"'{name}'" for name in names[:MAX_GROUP_PROBES])
    assert status.message == (
        f"Listing log groups works, but reading {tried} fails: Permission denied: the credentials are not allowed "
        f"logs:FilterLogEvents ({DENIED}). Grant logs:FilterLogEvents."
    )
    assert len(client.calls) == MAX_GROUP_PROBES


def test_every_report_is_probed_with_its_own_filter_and_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    reports = [
        {"name": "errors", "log_group_name": "api", "filter_pattern": "ERROR", "log_stream_name_prefix": "web-"},
        {"name": "bad", "log_group_name": "api", "filter_pattern": '{ $.status = "5'},
    ]
    invalid = aws_error("InvalidParameterException", "Invalid character(s) in term '\"5'")
    status, client = run(monkeypatch, [groups("api")], [{"events": []}, invalid], custom_log_reports=reports)
    assert client.calls == [
        {"logGroupName": "api", "filterPattern": "ERROR", "logStreamNamePrefix": "web-", "limit": 1},
        {"logGroupName": "api", "filterPattern": '{ $.status = "5', "limit": 1},
    ]
    assert (status.status, status.message) == (
        Status.FAILED,
        "Reading `custom_log_reports[1]` ('bad', log group 'api') fails: AWS rejected `custom_log_reports[1]` "
        "(InvalidParameterException: Invalid character(s) in term '\"5'). Fix `custom_log_reports[1]` and run "
        "check again.",
    )


def test_a_report_whose_group_is_gone_fails_check(monkeypatch: pytest.MonkeyPatch) -> None:
    report = {"name": "r", "log_group_name": "gone"}
    status, _ = run(monkeypatch, [groups("app"), groups()], [], custom_log_reports=[report])
    assert (status.status, status.message) == (
        Status.FAILED,
        "`custom_log_reports[0].log_group_name` 'gone' does not exist in region us-east-1: fix the name or remove "
        "the report.",
    )


def test_nothing_to_replicate(monkeypatch: pytest.MonkeyPatch) -> None:
    status, _ = run(monkeypatch, [groups()], [], log_group_prefix="/none/")
    assert (status.status, status.message) == (
        Status.FAILED,
        "No readable log group starts with '/none/' in region us-east-1, and no custom_log_reports are set: there "
        "is nothing to replicate. Fix log_group_prefix or region_name.",
    )


def test_check_uses_short_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15 item 11: a silent endpoint costs check attempts x (connect + read timeout), not minutes."""
    seen: dict[str, Any] = {}

    def connect(config: Any, **options: Any) -> Any:
        seen.update(options)
        return stub_logs(groups=[groups()])[0]

    monkeypatch.setattr(check, "connect", connect)
    check_connection(parse_config({"region_name": "us-east-1"}), LOGGER)
    assert seen == {"max_attempts": CHECK_MAX_ATTEMPTS, "read_timeout_s": CHECK_READ_TIMEOUT_S}
    worst = CHECK_MAX_ATTEMPTS * (CONNECT_TIMEOUT_S + CHECK_READ_TIMEOUT_S)
    assert worst <= 40


def test_a_merged_report_whose_filter_cannot_apply_to_its_infrequent_access_members_fails_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 20 item 11: check names the report and the groups, before any probe."""
    listing = {
        "logGroups": [
            {"logGroupName": "/aws/lambda/a"},
            {"logGroupName": "/aws/lambda/cold", "logGroupClass": "INFREQUENT_ACCESS"},
            {"logGroupName": "/aws/lambda/colder", "logGroupClass": "INFREQUENT_ACCESS"},
        ]
    }
    report = {"name": "l", "log_group_prefix": "/aws/lambda/", "log_stream_name_prefix": "2026/"}
    status, client = run(monkeypatch, [groups("x"), listing], [], custom_log_reports=[report])
    assert (status.status, status.message) == (
        Status.FAILED,
        "`custom_log_reports[0]` ('l'): log group(s) '/aws/lambda/cold', '/aws/lambda/colder' cannot be read as the "
        "report asks: their log class INFREQUENT_ACCESS does not support FilterLogEvents, and Logs Insights, which "
        "reads that class, cannot apply log_stream_name_prefix. Express the filter as a Logs Insights `query` "
        "instead (e.g. `filter @message like /ERROR/`), or choose the report's log groups so that these are not "
        "among them.",
    )
    assert client.calls == []


OWN, SOURCE = "123456789012", "210987654321"


def summary(name: str, account: str = OWN) -> dict[str, Any]:
    arn = f"arn:aws:logs:us-east-1:{account}:log-group:{name}"
    return {"logGroupName": name, "logGroupArn": arn, "logGroupClass": "STANDARD"}


def test_check_lists_linked_groups_only_until_it_has_enough_to_probe(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 23: check never lists everything. ListLogGroups answers 1,000 groups a page; with linked accounts
    the listing stops once more than MAX_GROUP_PROBES shared groups are in hand (here in the first of many
    pages), and the note says "At least"."""
    first = {"logGroups": [summary("/own")]}
    own = {"logGroups": [{"logGroupName": "/own", "arn": f"arn:aws:logs:us-east-1:{OWN}:log-group:/own:*"}]}
    shared = [summary(f"/app/{n:02d}", SOURCE) for n in range(MAX_GROUP_PROBES + 5)]
    linked_page = {"logGroups": [summary("/own"), *shared], "nextToken": "more"}
    logs, client = stub_logs(pages=[{"events": []}], groups=[own], listed=[first, linked_page])
    monkeypatch.setattr(check, "connect", lambda *args, **kwargs: logs)
    status = check_connection(parse_config({"region_name": "us-east-1", "include_linked_accounts": True}), LOGGER)
    assert (status.status, status.message) == (
        Status.SUCCEEDED,
        f"At least {MAX_GROUP_PROBES + 1} log groups of 1 linked accounts are visible.",
    )
    assert client.list_calls == [{"limit": 1000}, {"includeLinkedAccounts": True, "limit": 1000}]
    assert client.describe_calls == [{"limit": 1}]  # the credentials' own account


def test_without_permission_for_the_sweeps_queries_check_passes_with_a_warning_naming_the_actions(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    refused = aws_error("AccessDeniedException", DENIED, operation="StartQuery")
    status, client = run(monkeypatch, [groups("/app/a")], [{"events": []}], query_error=refused)
    assert status.status == Status.SUCCEEDED
    assert [call["logGroupNames"] for call in client.query_calls] == [["/app/a"]]
    assert caplog.messages == [
        "The late-event sweep cannot run: these credentials may not call logs:StartQuery and logs:GetQueryResults. "
        "Syncs go on without it (events that arrive later than the lookback covers may be lost). Allow both "
        "actions, or set late_sweep_span_hours to 0 to turn the sweep off."
    ]
    caplog.clear()
    status, client = run(
        monkeypatch, [groups("/app/a")], [{"events": []}], query_error=refused, late_sweep_span_hours=0
    )
    assert status.status == Status.SUCCEEDED and client.query_calls == [] and caplog.messages == []
    status, client = run(monkeypatch, [groups("/app/a")], [{"events": []}])
    assert status.status == Status.SUCCEEDED and len(client.query_calls) == 1 and caplog.messages == []
