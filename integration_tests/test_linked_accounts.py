"""A CloudWatch cross-account observability monitoring account reads the log groups its linked source accounts
share. Faked (testkit/fake_logs.py, FaultPlan.linked_accounts): the OAM links, which moto does not model; with
them, DescribeLogGroups lists the source accounts' groups for includeLinkedAccounts (narrowed by
accountIdentifiers) and finds them by ARN in logGroupIdentifiers, and FilterLogEvents reads them by ARN (and
refuses an ARN of an account that is not linked). The source accounts' data lives in moto's accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from source_cloudwatch_logs.check import NOTHING_LINKED
from testkit.connector import config, configured_catalog, run_connector
from testkit.fake_logs import FakeCloudWatch
from testkit.messages import state_entry
from testkit.seeding import DAY, logs_client, now_ms, put_events

MONITORING, SOURCE_A, SOURCE_B = "123456789012", "210987654321", "333333333333"
BASE = now_ms() - DAY


def _events(label: str, count: int, offset: int = 0) -> list[tuple[int, str]]:
    return [(BASE + offset + i * 1000, f"{label} #{i}") for i in range(count)]


@pytest.fixture
def organisation(fake: FakeCloudWatch) -> dict[str, list[tuple[int, str]]]:
    """The monitoring account's own `/app/api`, and the same name in source account A, plus A's `/app/worker` and
    B's `/app/api`; A and B are linked to the monitoring account. Returns the events by expected stream name."""
    seeded = {
        "/app/api": _events("own api", 3),
        f"{SOURCE_A}:/app/api": _events("A api", 4),
        f"{SOURCE_A}:/app/worker": _events("A worker", 2),
        f"{SOURCE_B}:/app/api": _events("B api", 5),
    }
    for stream, events in seeded.items():
        account, _, group = stream.rpartition(":")
        put_events(logs_client(fake.url, account or None), group, "s", events)
    fake.plan.linked_accounts = {MONITORING: [SOURCE_A, SOURCE_B]}
    return seeded


def _discover(tmp_path: Path, settings: dict[str, Any]) -> list[str]:
    run = run_connector("discover", tmp_path, settings)
    assert run.returncode == 0, run.stderr[-2000:]
    return [stream["name"] for stream in run.catalog["streams"]]


def test_discovery_names_linked_groups_by_account_stably_and_narrows_to_account_identifiers(
    fake: FakeCloudWatch, organisation: dict[str, Any], tmp_path: Path
) -> None:
    linked = config(fake.url, include_linked_accounts=True)
    names = _discover(tmp_path, linked)
    assert sorted(names) == sorted(organisation)
    assert _discover(tmp_path, linked) == names  # stable from run to run
    assert sorted(_discover(tmp_path, {**linked, "account_identifiers": [SOURCE_B]})) == [
        "/app/api",
        f"{SOURCE_B}:/app/api",
    ]
    # Off (the default): the account's own groups only, under their plain names, as before.
    assert _discover(tmp_path, config(fake.url)) == ["/app/api"]


def test_linked_groups_read_incrementally_with_account_and_region_on_every_record(
    fake: FakeCloudWatch, organisation: dict[str, Any], tmp_path: Path
) -> None:
    settings = config(fake.url, include_linked_accounts=True)
    catalog = configured_catalog(run_connector("discover", tmp_path, settings).catalog)
    first = run_connector("read", tmp_path, settings, catalog=catalog)
    assert first.returncode == 0, first.stderr[-2000:]
    for stream, events in organisation.items():
        assert first.events_of(stream) == events, stream
        account = stream.split(":")[0] if ":" in stream else MONITORING
        assert {(r["accountId"], r["awsRegion"], r["logGroupName"]) for r in first.records_of(stream)} == {
            (account, "us-east-1", stream.rpartition(":")[2])
        }
    # The same group name in two accounts: different events, different streams, each read by its ARN.
    assert len(first.records) == 14
    for stream in organisation:
        ids = [r["eventId"] for r in first.records_of(stream)]
        assert len(ids) == len(set(ids)), stream  # the primary key holds within each stream

    new = _events("A api new", 2, offset=DAY // 2)
    put_events(logs_client(fake.url, SOURCE_A), "/app/api", "s", new)
    second = run_connector("read", tmp_path, settings, catalog=catalog, state=first.state)
    assert second.returncode == 0, second.stderr[-2000:]
    # New events, and each stream's newest event again (a sync re-checks from it).
    assert second.events_of(f"{SOURCE_A}:/app/api") == [organisation[f"{SOURCE_A}:/app/api"][-1], *new]
    assert second.events_of(f"{SOURCE_B}:/app/api") == [organisation[f"{SOURCE_B}:/app/api"][-1]]
    assert second.events_of("/app/api") == [organisation["/app/api"][-1]]


def test_a_custom_report_names_a_linked_group_by_arn(
    fake: FakeCloudWatch, organisation: dict[str, Any], tmp_path: Path
) -> None:
    arn = f"arn:aws:logs:us-east-1:{SOURCE_B}:log-group:/app/api"
    report = {"name": "b_api_odd", "log_group_name": arn, "filter_pattern": '"#1"'}
    settings = config(fake.url, custom_log_reports=[report])  # by ARN, even without include_linked_accounts
    names = _discover(tmp_path, settings)
    assert names == ["/app/api", "b_api_odd"]
    catalog = configured_catalog(run_connector("discover", tmp_path, settings).catalog)
    out = run_connector("read", tmp_path, settings, catalog=catalog)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.events_of("b_api_odd") == [organisation[f"{SOURCE_B}:/app/api"][1]]
    assert {r["accountId"] for r in out.records_of("b_api_odd")} == {SOURCE_B}


def test_old_catalogs_and_states_keep_working_with_linking_on(
    fake: FakeCloudWatch, organisation: dict[str, Any], tmp_path: Path
) -> None:
    old_catalog = configured_catalog(run_connector("discover", tmp_path, config(fake.url)).catalog)
    state = [state_entry("/app/api", organisation["/app/api"][1][0])]
    # Without the late-event sweep: a state that never saw one sweeps the last 48 hours of ingestion, which would
    # find the event put below the state (seeded now, timestamped earlier) and deliver it again.
    settings = config(fake.url, include_linked_accounts=True, late_sweep_span_hours=0)
    out = run_connector("read", tmp_path, settings, catalog=old_catalog, state=state)
    assert out.returncode == 0, out.stderr[-2000:]
    assert [r["stream"] for r in out.records] == ["/app/api", "/app/api"]
    assert out.events_of("/app/api") == organisation["/app/api"][1:]


def test_check_says_what_is_linked_and_fails_clearly_when_nothing_is(
    fake: FakeCloudWatch, organisation: dict[str, Any], tmp_path: Path
) -> None:
    settings = config(fake.url, include_linked_accounts=True)
    ok = run_connector("check", tmp_path, settings)
    assert ok.connection_status == {
        "status": "SUCCEEDED",
        "message": "3 log groups of 2 linked accounts are visible.",
    }
    fake.plan.linked_accounts = {}
    unlinked = run_connector("check", tmp_path, settings)
    assert unlinked.connection_status == {"status": "FAILED", "message": NOTHING_LINKED.format(region="us-east-1")}
    bad = run_connector("check", tmp_path, {**settings, "account_identifiers": ["21098765432x"]})
    assert bad.connection_status["status"] == "FAILED"
    assert bad.connection_status["message"] == (
        "Invalid configuration: `account_identifiers` item 0 is not a 12-digit AWS account ID."
    )


def _describe_calls(fake: FakeCloudWatch) -> list[dict[str, Any]]:
    return [params for operation, params in fake.requests if operation == "DescribeLogGroups"]


def test_a_read_asks_for_linked_groups_by_arn_with_include_linked_accounts(
    fake: FakeCloudWatch, organisation: dict[str, Any], tmp_path: Path
) -> None:
    """Issue 20 item 8: the fake answers a source account's ARN in logGroupIdentifiers only with
    includeLinkedAccounts (the strict reading: the API Reference does not say it answers without). Before the fix
    the read asked without the flag, found nothing, and skipped every linked stream as deleted, with exit 0."""
    settings = config(fake.url, include_linked_accounts=True)
    catalog = configured_catalog(run_connector("discover", tmp_path, settings).catalog)
    fake.requests.clear()
    out = run_connector("read", tmp_path, settings, catalog=catalog)
    assert out.returncode == 0, out.stderr[-2000:]
    for stream, events in organisation.items():
        assert out.events_of(stream) == events, stream
        assert out.statuses(stream) == ["STARTED", "RUNNING", "COMPLETE"], stream
    lookups = [call for call in _describe_calls(fake) if "logGroupIdentifiers" in call]
    assert sorted((call["logGroupIdentifiers"], call.get("includeLinkedAccounts")) for call in lookups) == [
        (["/app/api"], None),  # names: never with the flag, so no other account's group can answer a name
        (
            [
                f"arn:aws:logs:us-east-1:{SOURCE_A}:log-group:/app/api",
                f"arn:aws:logs:us-east-1:{SOURCE_A}:log-group:/app/worker",
                f"arn:aws:logs:us-east-1:{SOURCE_B}:log-group:/app/api",
            ],
            True,
        ),
    ]


LNK_A = f"arn:aws:logs:us-east-1:{SOURCE_A}:log-group:/app/api"
LNK_B = f"arn:aws:logs:us-east-1:{SOURCE_B}:log-group:/app/api"


@pytest.mark.parametrize("lenient", [False, True], ids=["strict", "ignores-identifiers"])
def test_a_merged_report_naming_linked_groups_by_arn_reads_each_account_under_its_own_key(
    fake: FakeCloudWatch, organisation: dict[str, Any], tmp_path: Path, lenient: bool
) -> None:
    """Issue 20 item 9: two source accounts' `/app/api` by ARN beside the account's own by name, on the strict
    fake and on an endpoint that ignores logGroupIdentifiers (moto, LocalStack). Before the fix the report read
    the own group three times over, labelled with the source accounts' IDs, kept one state entry for all, and
    warned that the ARNs did not exist."""
    fake.plan.describe_ignores_identifiers = lenient
    report = {"name": "api", "log_group_names": ["/app/api", LNK_A, LNK_B]}
    settings = config(fake.url, log_group_prefix="/none", custom_log_reports=[report])
    catalog = configured_catalog(run_connector("discover", tmp_path, settings).catalog)
    first = run_connector("read", tmp_path, settings, catalog=catalog)
    assert first.returncode == 0, first.stderr[-2000:]
    assert sorted(
        (r["accountId"], r["logGroupName"], r["timestamp"], r["message"]) for r in first.records_of("api")
    ) == sorted(
        (account, "/app/api", ts, message)
        for account, stream in (
            (MONITORING, "/app/api"),
            (SOURCE_A, f"{SOURCE_A}:/app/api"),
            (SOURCE_B, f"{SOURCE_B}:/app/api"),
        )
        for ts, message in organisation[stream]
    )
    assert sorted(first.stream_state("api")["groups"]) == [
        "/app/api",
        f"{SOURCE_A}:/app/api",
        f"{SOURCE_B}:/app/api",
    ]
    assert [w for w in first.logs("WARN") if "do not exist" in w] == []

    new = _events("A api new", 2, offset=DAY // 2)
    put_events(logs_client(fake.url, SOURCE_A), "/app/api", "s", new)
    second = run_connector("read", tmp_path, settings, catalog=catalog, state=first.state)
    assert second.returncode == 0, second.stderr[-2000:]
    a_records = [r for r in second.records_of("api") if r["accountId"] == SOURCE_A]
    assert sorted((r["timestamp"], r["message"]) for r in a_records) == [organisation[f"{SOURCE_A}:/app/api"][-1], *new]


def test_a_merged_prefix_report_spans_the_linked_accounts_like_the_top_level_prefix(
    fake: FakeCloudWatch, organisation: dict[str, Any], tmp_path: Path
) -> None:
    """Issue 20 item 9, decided: with include_linked_accounts a `log_group_prefix` report covers the account's
    own groups and the linked accounts' (narrowed by account_identifiers), as the top-level prefix does."""
    report = {"name": "app", "log_group_prefix": "/app/"}
    settings = config(
        fake.url,
        log_group_prefix="/none",
        include_linked_accounts=True,
        account_identifiers=[SOURCE_A],
        custom_log_reports=[report],
    )
    catalog = configured_catalog(run_connector("discover", tmp_path, settings).catalog)
    out = run_connector("read", tmp_path, settings, catalog=catalog)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.events_of("app") == sorted(
        [*organisation["/app/api"], *organisation[f"{SOURCE_A}:/app/api"], *organisation[f"{SOURCE_A}:/app/worker"]]
    )
    assert sorted(out.stream_state("app")["groups"]) == [
        "/app/api",
        f"{SOURCE_A}:/app/api",
        f"{SOURCE_A}:/app/worker",
    ]
