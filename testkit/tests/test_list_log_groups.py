"""The fake's ListLogGroups (testkit/list_log_groups.py) answers as the API Reference describes it, and as moto
(which lacks it) when the plan says the endpoint lacks it."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from testkit.fake_logs import FakeCloudWatch
from testkit.seeding import logs_client
from testkit.tests.conftest import error_of

OWN, SOURCE = "123456789012", "210987654321"


def names(answer: dict[str, Any]) -> list[str]:
    return [group["logGroupName"] for group in answer["logGroups"]]


def test_pages_of_summaries_in_creation_order_with_the_limit(fake: FakeCloudWatch, logs: Any) -> None:
    for name in ("/b/two", "/a/one", "/c/three"):
        logs.create_log_group(logGroupName=name)
    logs.create_log_group(logGroupName="/a/cold", logGroupClass="INFREQUENT_ACCESS")
    first = logs.list_log_groups(limit=3)
    assert names(first) == ["/b/two", "/a/one", "/c/three"] and first["nextToken"]
    assert first["logGroups"][0] == {
        "logGroupName": "/b/two",
        "logGroupArn": f"arn:aws:logs:us-east-1:{OWN}:log-group:/b/two",
        "logGroupClass": "STANDARD",
    }
    second = logs.list_log_groups(limit=3, nextToken=first["nextToken"])
    assert names(second) == ["/a/cold"] and "nextToken" not in second
    assert second["logGroups"][0]["logGroupClass"] == "INFREQUENT_ACCESS"
    assert len(logs.list_log_groups()["logGroups"]) == 4  # default up to 50
    assert names(logs.list_log_groups(logGroupNamePattern="^/a/")) == ["/a/one", "/a/cold"]
    assert names(logs.list_log_groups(logGroupNamePattern="one|three")) == ["/a/one", "/c/three"]
    assert names(logs.list_log_groups(logGroupNamePattern="^/A/")) == []  # case sensitive
    assert names(logs.list_log_groups(logGroupClass="INFREQUENT_ACCESS")) == ["/a/cold"]


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"limit": 1001}, "Value '1001' at 'limit' failed to satisfy constraint: Member must have value less than"),
        ({"logGroupNamePattern": "^ab"}, "Value '^ab' at 'logGroupNamePattern' failed to satisfy constraint"),
        ({"logGroupNamePattern": "^" + "x" * 25}, "at 'logGroupNamePattern' failed to satisfy constraint"),
    ],
)
def test_out_of_range_parameters_are_refused(logs: Any, params: dict[str, Any], problem: str) -> None:
    with pytest.raises(ClientError) as raised:
        logs.list_log_groups(**params)
    status, code, message = error_of(raised)
    assert (status, code) == (400, "InvalidParameterException") and problem in message


def test_linked_accounts_groups_with_include_linked_accounts(fake: FakeCloudWatch) -> None:
    logs_client(fake.url).create_log_group(logGroupName="/own")
    logs_client(fake.url, SOURCE).create_log_group(logGroupName="/shared")
    logs = logs_client(fake.url)
    fake.plan.linked_accounts = {OWN: [SOURCE]}
    assert names(logs.list_log_groups()) == ["/own"]
    linked = logs.list_log_groups(includeLinkedAccounts=True)["logGroups"]
    assert [g["logGroupArn"] for g in linked] == [
        f"arn:aws:logs:us-east-1:{OWN}:log-group:/own",
        f"arn:aws:logs:us-east-1:{SOURCE}:log-group:/shared",
    ]
    assert names(logs.list_log_groups(includeLinkedAccounts=True, accountIdentifiers=["333333333333"])) == ["/own"]


def test_an_endpoint_that_lacks_it_answers_as_moto_does(fake: FakeCloudWatch, logs: Any) -> None:
    fake.plan.lacks_list_log_groups = True
    with pytest.raises(ClientError) as raised:
        logs.list_log_groups()
    assert error_of(raised)[0] == 500
