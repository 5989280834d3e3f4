"""The fake CloudWatch Logs endpoint (testkit/fake_logs.py, testkit/filter_events.py) answers like AWS."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from testkit.fake_logs import FakeCloudWatch
from testkit.filter_events import parse_filter_terms
from testkit.seeding import filter_pages
from testkit.tests.conftest import client, error_of, seed

GROUP = "/test/app"


def all_pages(logs: Any, **params: Any) -> list[dict[str, Any]]:
    return list(filter_pages(logs, **params))


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
    sts = client(fake.url, "sts")
    sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/reader", RoleSessionName="sess", DurationSeconds=3600)

    filters = [params for op, params in fake.requests if op == "FilterLogEvents"]
    assume = [params for op, params in fake.requests if op == "AssumeRole"]

    assert filters == [{"logGroupName": GROUP, "startTime": base_ms, "endTime": base_ms + 10, "limit": 7}]
    assert assume[0]["DurationSeconds"] == "3600"
    assert assume[0]["RoleSessionName"] == "sess"
    assert fake.calls["FilterLogEvents"] == 1
    assert fake.calls["AssumeRole"] == 1


def test_describe_by_identifiers_returns_the_existing_named_groups(logs: Any, base_ms: int) -> None:
    """moto ignores logGroupIdentifiers; AWS returns just those groups (names in the caller's account)."""
    for group in ("a", "b", "c"):
        seed(logs, group, {"s": [(base_ms, "x")]})
    answer = logs.describe_log_groups(logGroupIdentifiers=["c", "a", "missing"])
    assert [(g["logGroupName"], g["logGroupClass"]) for g in answer["logGroups"]] == [
        ("a", "STANDARD"),
        ("c", "STANDARD"),
    ]
    assert "date" in answer["ResponseMetadata"]["HTTPHeaders"]


def test_an_endpoint_that_ignores_identifiers_answers_the_whole_listing(fake: FakeCloudWatch, base_ms: int) -> None:
    """FaultPlan.describe_ignores_identifiers: DescribeLogGroups as moto and LocalStack answer it."""
    from testkit.seeding import logs_client

    logs = logs_client(fake.url)
    for group in ("a", "b", "c"):
        seed(logs, group, {"s": [(base_ms, "x")]})
    fake.plan.describe_ignores_identifiers = True
    answer = logs.describe_log_groups(logGroupIdentifiers=["c"])
    assert [g["logGroupName"] for g in answer["logGroups"]] == ["a", "b", "c"]


def test_a_prefix_outside_aws_pattern_is_refused(logs: Any) -> None:
    with pytest.raises(ClientError) as raised:
        logs.describe_log_groups(logGroupNamePrefix="my app")
    assert error_of(raised) == (
        400,
        "InvalidParameterException",
        "1 validation error detected: Value 'my app' at 'logGroupNamePrefix' failed to satisfy constraint: Member "
        "must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+",
    )


def test_a_filter_pattern_with_unpaired_quotes_or_braces_is_refused(logs: Any, base_ms: int) -> None:
    seed(logs, GROUP, {"s": [(base_ms, "x")]})
    for pattern in ('"unclosed', "{ $.status = 500", "[a, b"):
        with pytest.raises(ClientError) as raised:
            logs.filter_log_events(logGroupName=GROUP, filterPattern=pattern)
        assert error_of(raised) == (400, "InvalidParameterException", f"Invalid character(s) in term '{pattern}'")
    assert logs.filter_log_events(logGroupName=GROUP, filterPattern='"x"')["events"][0]["message"] == "x"


def test_the_fake_s_clock_answers_date_and_stamps_ingestion_time(fake: FakeCloudWatch) -> None:
    from datetime import UTC, datetime, timedelta

    from testkit.seeding import logs_client, now_ms, put_events

    then = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    fake.clock = lambda: then
    logs = logs_client(fake.url)
    put_events(logs, "g", "s", [(now_ms() - 4 * 86_400_000, "old")])
    answer = logs.describe_log_groups()
    assert answer["ResponseMetadata"]["HTTPHeaders"]["date"] == then.strftime("%a, %d %b %Y %H:%M:%S GMT")
    (event,) = logs.filter_log_events(logGroupName="g")["events"]
    assert event["ingestionTime"] == int(then.timestamp() * 1000)


def test_linked_accounts_are_listed_found_by_arn_and_read_only_while_linked(fake: FakeCloudWatch) -> None:
    from testkit.seeding import logs_client, now_ms, put_events

    monitoring, source = "123456789012", "210987654321"
    put_events(logs_client(fake.url, source), "/app", "s", [(now_ms() - 1000, "from the source")])
    put_events(logs_client(fake.url), "/app", "s", [(now_ms() - 1000, "own")])
    logs = logs_client(fake.url)
    arn = f"arn:aws:logs:us-east-1:{source}:log-group:/app"
    fake.plan.linked_accounts = {monitoring: [source]}
    listed = logs.describe_log_groups(includeLinkedAccounts=True)["logGroups"]
    assert [g["arn"] for g in listed] == [f"arn:aws:logs:us-east-1:{monitoring}:log-group:/app:*", f"{arn}:*"]
    assert logs.describe_log_groups(includeLinkedAccounts=True, accountIdentifiers=["333333333333"])["logGroups"] == [
        listed[0]
    ]
    by_arn = logs.describe_log_groups(logGroupIdentifiers=[arn], includeLinkedAccounts=True)["logGroups"]
    assert [g["arn"] for g in by_arn] == [f"{arn}:*"]
    # The strict reading: a source account's ARN is answered only with includeLinkedAccounts (issue 20 item 8).
    assert logs.describe_log_groups(logGroupIdentifiers=[arn])["logGroups"] == []
    own_arn = f"arn:aws:logs:us-east-1:{monitoring}:log-group:/app"
    assert [g["arn"] for g in logs.describe_log_groups(logGroupIdentifiers=[own_arn])["logGroups"]] == [f"{own_arn}:*"]
    (event,) = logs.filter_log_events(logGroupIdentifier=arn)["events"]
    assert event["message"] == "from the source"
    fake.plan.linked_accounts = {}
    assert logs.describe_log_groups(logGroupIdentifiers=[arn], includeLinkedAccounts=True)["logGroups"] == []
    with pytest.raises(ClientError) as unlinked:
        logs.filter_log_events(logGroupIdentifier=arn)
    assert error_of(unlinked)[:2] == (400, "ResourceNotFoundException")
