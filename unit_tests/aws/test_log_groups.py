"""DescribeLogGroups: paging, exact lookup, CloudWatch's clock from the Date header, and errors translated.
The API is a stub (see conftest.StubClient): the Date header and page shapes are set by the test."""

from __future__ import annotations

from typing import Any

import pytest

from source_cloudwatch_logs.aws.errors import AwsError, Fault
from source_cloudwatch_logs.aws.log_groups import (
    DESCRIBE_PAGE_SIZE,
    IDENTIFIERS_PER_CALL,
    LIST_PAGE_SIZE,
    PATTERN_MAX_CHARS,
    PATTERN_MIN_CHARS,
    LogGroup,
    LogGroups,
    by_name,
)
from unit_tests.conftest import aws_error, stub_logs

DATE = "Wed, 18 Nov 2026 11:06:40 GMT"  # 1_795_000_000 s


def page(*names: str, token: str | None = None, date: str | None = DATE) -> dict[str, Any]:
    answer: dict[str, Any] = {"logGroups": [{"logGroupName": name, "storedBytes": 7} for name in names]}
    if token:
        answer["nextToken"] = token
    if date:
        answer["ResponseMetadata"] = {"HTTPHeaders": {"date": date}}
    return answer


def test_pages_until_the_token_is_absent_and_keeps_the_first_date() -> None:
    logs, client = stub_logs(
        groups=[page("pre-a", "pre-b", token="t1"), page("pre-c", date="Wed, 18 Nov 2026 12:00:00 GMT")]
    )
    groups = LogGroups(logs=logs)
    assert [g.name for g in groups.list("pre")] == ["pre-a", "pre-b", "pre-c"]
    assert client.describe_calls == [
        {"limit": DESCRIBE_PAGE_SIZE, "logGroupNamePrefix": "pre"},
        {"limit": DESCRIBE_PAGE_SIZE, "logGroupNamePrefix": "pre", "nextToken": "t1"},
    ]
    assert groups.server_time_ms == 1_795_000_000_000


def test_no_date_header_means_no_server_clock() -> None:
    logs, _ = stub_logs(groups=[page("a", date=None)])
    groups = LogGroups(logs=logs)
    assert [g.name for g in groups.list()] == ["a"]
    assert groups.server_time_ms is None


def test_named_asks_for_fifty_names_a_call_and_pages_each_answer() -> None:
    logs, client = stub_logs(groups=[page("n00", token="t"), page("n01"), page("z")])
    names = [f"n{i:02d}" for i in range(50)] + ["z", "z"]
    assert [g.name for g in LogGroups(logs=logs).named(names)] == ["n00", "n01", "z"]
    assert client.describe_calls == [
        {"logGroupIdentifiers": sorted(set(names))[:50]},
        {"logGroupIdentifiers": sorted(set(names))[:50], "nextToken": "t"},
        {"logGroupIdentifiers": ["z"]},
    ]
    assert IDENTIFIERS_PER_CALL == 50


OWN, SOURCE = "123456789012", "210987654321"


def described(name: str, account: str = OWN) -> dict[str, Any]:
    """A group as DescribeLogGroups describes it (moto's `arn` ends with `:*`)."""
    return {"logGroupName": name, "arn": f"arn:aws:logs:us-east-1:{account}:log-group:{name}:*"}


def test_named_keeps_only_the_groups_asked_for_when_the_endpoint_answers_the_whole_listing() -> None:
    """Issue 20 item 10: moto and LocalStack ignore logGroupIdentifiers and answer every group of the account;
    an ARN of another account's group is matched on the ARN, never on its name."""
    listing = {"logGroups": [described(n) for n in ("/a", "/b", "/c", "/d")] + [described("/b", SOURCE)]}
    logs, client = stub_logs(groups=[listing, listing])
    source_arn = f"arn:aws:logs:us-east-1:{SOURCE}:log-group:/b"
    found = list(LogGroups(logs=logs).named(["/a", "/c", "/gone", f"{source_arn}:*"]))
    assert [(g.name, g.account_id) for g in found] == [("/a", OWN), ("/c", OWN), ("/b", SOURCE)]
    # Names without includeLinkedAccounts, ARNs (without `:*`) with it, in calls of their own (issue 20 item 8).
    assert client.describe_calls == [
        {"logGroupIdentifiers": ["/a", "/c", "/gone"]},
        {"logGroupIdentifiers": [source_arn], "includeLinkedAccounts": True},
    ]


def test_named_yields_a_group_once_even_if_an_answer_repeats_it() -> None:
    logs, _ = stub_logs(groups=[{"logGroups": [described("/a"), described("/a")]}])
    assert [g.name for g in LogGroups(logs=logs).named(["/a"])] == ["/a"]


def test_list_keeps_only_the_prefix_and_the_accounts_asked_for() -> None:
    """Issue 20 principle 1: an endpoint that ignores logGroupNamePrefix or accountIdentifiers is not trusted."""
    own = {"logGroups": [described("/own")]}
    everything = {
        "logGroups": [
            described("/app/x"),
            described("/other"),
            described("/app/y", SOURCE),
            described("/app/z", "333333333333"),
        ]
    }
    logs, client = stub_logs(groups=[own, everything])
    groups = LogGroups(logs=logs)
    listed = [(g.name, g.account_id) for g in groups.list("/app/", linked=(SOURCE,))]
    assert listed == [("/app/x", OWN), ("/app/y", SOURCE)]
    assert client.describe_calls == [
        {"limit": 1},
        {
            "limit": DESCRIBE_PAGE_SIZE,
            "logGroupNamePrefix": "/app/",
            "includeLinkedAccounts": True,
            "accountIdentifiers": [SOURCE],
        },
    ]
    assert groups.own_account() == OWN  # asked once
    assert len(client.describe_calls) == 2


def test_a_rejected_prefix_names_the_setting() -> None:
    message = (
        "1 validation error detected: Value 'a b' at 'logGroupNamePrefix' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+"
    )
    logs, _ = stub_logs(groups=[aws_error("InvalidParameterException", message, "DescribeLogGroups")])
    with pytest.raises(AwsError) as raised:
        list(LogGroups(logs=logs).list("a b", field="log_group_prefix"))
    assert raised.value.message == (
        f"AWS rejected `log_group_prefix` (InvalidParameterException: {message}). Fix `log_group_prefix` and run "
        "check again."
    )
    assert raised.value.fault == Fault.CONFIG


def test_readable_classes() -> None:
    """FilterLogEvents reads STANDARD (and class-less) groups; Logs Insights INFREQUENT_ACCESS ones too."""
    classes = (None, "STANDARD", "INFREQUENT_ACCESS", "DELIVERY")
    assert [LogGroup("g", None, None, None, c).filterable for c in classes] == [True, True, False, False]
    assert [LogGroup("g", None, None, None, c).readable for c in classes] == [True, True, True, False]


def test_errors_become_airbyte_errors_naming_the_action() -> None:
    logs, _ = stub_logs(groups=[aws_error("AccessDeniedException", "denied", "DescribeLogGroups")])
    with pytest.raises(AwsError) as raised:
        list(LogGroups(logs=logs).list())
    assert raised.value.message == (
        "Permission denied: the credentials are not allowed logs:DescribeLogGroups (denied). Grant logs:DescribeLogGroups."
    )
    assert raised.value.fault == Fault.CONFIG
    assert raised.value.internal_message == "logs:DescribeLogGroups: ClientError AccessDeniedException"


def test_a_group_knows_its_arn_and_account_and_linked_names_round_trip() -> None:
    from source_cloudwatch_logs.aws.log_groups import LogGroup, group_arn, linked_stream_name, parse_linked_stream_name

    described = {"logGroupName": "/app/api", "arn": "arn:aws:logs:eu-west-1:210987654321:log-group:/app/api:*"}
    group = LogGroup.from_api(described)
    assert group.arn == "arn:aws:logs:eu-west-1:210987654321:log-group:/app/api"
    assert group.account_id == "210987654321"
    assert LogGroup.from_api({"logGroupName": "g"}).account_id is None
    assert group_arn("eu-west-1", "210987654321", "/app/api") == group.arn
    assert group_arn("cn-north-1", "210987654321", "g").startswith("arn:aws-cn:logs:cn-north-1:")
    assert group_arn("us-gov-west-1", "210987654321", "g").startswith("arn:aws-us-gov:logs:")
    name = linked_stream_name("210987654321", "/app/api")
    assert name == "210987654321:/app/api"
    assert parse_linked_stream_name(name) == ("210987654321", "/app/api")
    # A colon is never part of a log group name: an own group's stream name never parses as linked.
    assert parse_linked_stream_name("/app/api") is None
    assert parse_linked_stream_name("2109:/x") is None


def summary(name: str, account: str = OWN, log_class: str = "STANDARD") -> dict[str, Any]:
    """A group as ListLogGroups answers it: name, ARN (without `:*`) and class only."""
    arn = f"arn:aws:logs:us-east-1:{account}:log-group:{name}"
    return {"logGroupName": name, "logGroupArn": arn, "logGroupClass": log_class}


def listed_page(*groups: dict[str, Any], token: str | None = None, date: str | None = DATE) -> dict[str, Any]:
    answer: dict[str, Any] = {"logGroups": list(groups)}
    if token:
        answer["nextToken"] = token
    if date:
        answer["ResponseMetadata"] = {"HTTPHeaders": {"date": date}}
    return answer


def test_summaries_are_listed_a_thousand_a_call_with_the_prefix_as_a_pattern_sorted_and_filtered() -> None:
    """Issue 23: discover and check need name, ARN and class, which ListLogGroups answers 1,000 a call. Its order
    is not documented: `by_name` sorts a listing; a pattern's `.` is a wildcard: the prefix is checked here."""
    first = listed_page(summary("/app/b"), summary("/app/a", log_class="INFREQUENT_ACCESS"), token="t1")
    second = listed_page(summary("/appXc"), summary("/app/c"), date="Wed, 18 Nov 2026 12:00:00 GMT")
    logs, client = stub_logs(listed=[first, second])
    told: list[str] = []
    groups = LogGroups(logs=logs, summaries=True, tell=told.append)
    found = by_name(groups.list("/app/"))
    assert [(g.name, g.log_class, g.arn) for g in found] == [
        ("/app/a", "INFREQUENT_ACCESS", f"arn:aws:logs:us-east-1:{OWN}:log-group:/app/a"),
        ("/app/b", "STANDARD", f"arn:aws:logs:us-east-1:{OWN}:log-group:/app/b"),
        ("/app/c", "STANDARD", f"arn:aws:logs:us-east-1:{OWN}:log-group:/app/c"),
    ]
    assert client.list_calls == [
        {"limit": LIST_PAGE_SIZE, "logGroupNamePattern": "^/app/"},
        {"limit": LIST_PAGE_SIZE, "logGroupNamePattern": "^/app/", "nextToken": "t1"},
    ]
    assert (client.describe_calls, told, LIST_PAGE_SIZE) == ([], [], 1_000)
    assert groups.server_time_ms == 1_795_000_000_000


def test_a_pattern_holds_3_to_24_characters_so_other_prefixes_are_filtered_here() -> None:
    long = "/aws/lambda/service-0001-x"  # 26 characters
    pages = [
        listed_page(summary("/a1"), summary("/b1")),
        listed_page(summary(long), summary("/aws/lambda/service-0001-y")),
        listed_page(summary("/a/b"), token="t"),
    ]
    logs, client = stub_logs(listed=pages)
    groups = LogGroups(logs=logs, summaries=True)
    assert [g.name for g in groups.list("/a")] == ["/a1"]
    assert [g.name for g in groups.list(long)] == [long]
    assert [g.name for g in groups.list(pages=1)] == ["/a/b"]  # only the first page: check
    assert client.list_calls == [
        {"limit": 1_000},
        {"limit": 1_000, "logGroupNamePattern": "^" + long[:24]},
        {"limit": 1_000},
    ]
    assert (PATTERN_MIN_CHARS, PATTERN_MAX_CHARS) == (3, 24)


def test_linked_accounts_are_asked_of_list_log_groups_too() -> None:
    own = {"logGroups": [described("/own")]}
    answer = listed_page(summary("/app/y", SOURCE), summary("/app/z", "333333333333"), summary("/app/x"))
    logs, client = stub_logs(groups=[own], listed=[answer])
    found = by_name(LogGroups(logs=logs, summaries=True).list("/app/", linked=(SOURCE,)))
    assert [(g.name, g.account_id) for g in found] == [("/app/x", OWN), ("/app/y", SOURCE)]
    assert client.list_calls == [
        {
            "includeLinkedAccounts": True,
            "accountIdentifiers": [SOURCE],
            "limit": 1_000,
            "logGroupNamePattern": "^/app/",
        }
    ]


@pytest.mark.parametrize(
    "refusal",
    [
        aws_error("UnknownOperationException", "", "ListLogGroups"),  # an older endpoint
        aws_error("500", "<!doctype html>...Internal Server Error", "ListLogGroups"),  # moto: not implemented
        aws_error("AccessDeniedException", "not authorized to perform: logs:ListLogGroups", "ListLogGroups"),
    ],
)
def test_an_endpoint_refusing_list_log_groups_is_listed_with_describe_log_groups_said_once(refusal: Any) -> None:
    logs, client = stub_logs(groups=[page("a", "b"), page("c")], listed=[refusal])
    told: list[str] = []
    groups = LogGroups(logs=logs, summaries=True, tell=told.append)
    assert [g.name for g in groups.list()] == ["a", "b"]
    assert [g.name for g in groups.list()] == ["c"]  # ListLogGroups is not asked again
    assert len(client.list_calls) == 1 and len(client.describe_calls) == 2
    code = refusal.response["Error"]["Code"]
    assert told == [
        f"ListLogGroups is refused at https://logs.us-east-1.amazonaws.com ({code}): log groups are listed with "
        "DescribeLogGroups, 50 a call instead of 1000."
    ]


def test_a_sync_lists_with_describe_log_groups_for_the_metadata_it_needs() -> None:
    logs, client = stub_logs(groups=[page("a")], listed=[listed_page(summary("a"))])
    assert [g.stored_bytes for g in LogGroups(logs=logs).list()] == [7]
    assert client.list_calls == []
