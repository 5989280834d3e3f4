"""Cross-account access: the connector assumes `role_arn` with the base credentials and reads with the role's.

Against moto behind the fake's wrapper (testkit/fake_logs.py, testkit/fake_sts.py), which logs every request with the access key that
signed it, dates the credentials moto's STS issues by its own clock and refuses expired ones, and checks
AssumeRole the way IAM does (trust policy, ExternalId, MaxSessionDuration) where a test sets it up.

The role lives in moto's default account 123456789012: moto keeps one backend per account, and the log groups
seeded with the `testing` keys are in that account, so they are what the role sees.
"""

from __future__ import annotations

import logging
import os
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    ConfiguredAirbyteCatalogSerializer,
    FailureType,
    Status,
)
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.aws.client import connect
from source_cloudwatch_logs.aws.credentials import AssumeRoleError
from source_cloudwatch_logs.source import SourceCloudwatchLogs
from source_cloudwatch_logs.spec import aws_settings, parse_config
from testkit.connector import config, configured_catalog, run_connector
from testkit.fake_logs import FakeCloudWatch, Received
from testkit.seeding import DAY, Event, logs_client, now_ms, put_events
from testkit.server_process import closed_port

ROLE = "arn:aws:iam::123456789012:role/cloudwatch-reader"
BASE_KEY = "TESTBASEKEYEXAMPLE01"
SESSION_NAME = re.compile(r"airbyte-source-cloudwatch-logs-[0-9a-f]{8}")
LOGS_CALLS = {"ListLogGroups", "DescribeLogGroups", "FilterLogEvents"}
SWEEP_PROBE = ["StartQuery", "GetQueryResults", "StopQuery"]  # check probes the late-event sweep's permission
LOGGER = logging.getLogger("test")


def role_config(fake: FakeCloudWatch, **overrides: Any) -> dict[str, Any]:
    # The fake serves STS and CloudWatch Logs on one endpoint: both are set (STS never uses endpoint_url).
    values = {
        "aws_access_key_id": BASE_KEY,
        "aws_secret_access_key": "base-secret",
        "role_arn": ROLE,
        "sts_endpoint_url": fake.url,
        **overrides,
    }
    return config(fake.url, **values)


def seed(fake: FakeCloudWatch, groups: int, events: int) -> dict[str, list[Event]]:
    base = now_ms() - DAY
    seeded = {f"app-{g}": [(base + i, f"app-{g} event {i}") for i in range(events)] for g in range(groups)}
    client = logs_client(fake.url)
    for group, group_events in seeded.items():
        put_events(client, group, "stream", group_events)
    return seeded


def full_refresh_catalog(names: list[str]) -> dict[str, Any]:
    streams = [
        {"name": name, "json_schema": {"type": "object"}, "supported_sync_modes": ["full_refresh"]} for name in names
    ]
    return configured_catalog({"streams": streams}, "full_refresh")


CATALOG = ConfiguredAirbyteCatalogSerializer.load(full_refresh_catalog(["app"]))


def operations_by_key(received: list[Received]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for request in received:
        found[request.access_key].add(request.operation)
    return dict(found)


def test_discover_and_read_assume_the_role_once_per_sync(tmp_path: Path, fake: FakeCloudWatch) -> None:
    seeded = seed(fake, groups=3, events=100)
    fake.plan.role_external_ids = {ROLE: "ext-42"}  # the trust policy's sts:ExternalId condition
    fake.plan.role_max_session_s = {ROLE: 7200}
    settings = role_config(fake, role_external_id="ext-42", session_duration=7200)
    mark = len(fake.received)

    discovered = run_connector("discover", tmp_path, settings)
    assert [stream["name"] for stream in discovered.catalog["streams"]] == sorted(seeded)
    read = run_connector("read", tmp_path, settings, catalog=configured_catalog(discovered.catalog, "full_refresh"))

    assert (read.returncode, read.errors) == (0, [])
    assert {group: read.events_of(group) for group in seeded} == seeded
    received = fake.received[mark:]
    assumed = [request for request in received if request.operation == "AssumeRole"]
    assert len(assumed) == 2  # one per process: discover, and read's 3 streams on 10 threads share one session
    names = [request.params["RoleSessionName"] for request in assumed]
    for request, name in zip(assumed, names, strict=True):
        assert request.access_key == BASE_KEY
        assert request.params == {
            "Action": "AssumeRole",
            "Version": "2011-06-15",
            "RoleArn": ROLE,
            "RoleSessionName": name,
            "DurationSeconds": "7200",
            "ExternalId": "ext-42",
        }
        assert SESSION_NAME.fullmatch(name), name
    assert names[0] != names[1]

    issued = fake.issued_credentials
    assert [(c.issued_to, c.session_name) for c in issued] == [(BASE_KEY, names[0]), (BASE_KEY, names[1])]
    # Every logs call of each process is signed with that process's role session, none with the base key.
    second = received.index(assumed[1])
    discover_keys = {r.access_key for r in received[:second] if r.operation in LOGS_CALLS}
    read_keys = {r.access_key for r in received[second:] if r.operation in LOGS_CALLS}
    assert (discover_keys, read_keys) == ({issued[0].access_key_id}, {issued[1].access_key_id})
    assert {r.operation for r in received[second:]} == {"AssumeRole", "DescribeLogGroups", "FilterLogEvents"}
    assert fake.rejections == {}


def test_a_sync_outliving_many_sessions_renews_them_and_reads_everything(tmp_path: Path, fake: FakeCloudWatch) -> None:
    """Faked: STS issues role credentials that expire 0.5 s after issue (whatever DurationSeconds says), and the
    fake refuses any request signed with expired credentials (ExpiredTokenException), as AWS does. Such
    credentials are always inside botocore's 10-minute mandatory window, so it renews them before each request.
    Every call takes 30 ms and pages hold 20 events, so that the sync lasts several sessions."""
    seeded = seed(fake, groups=3, events=300)
    fake.plan.assume_role_expiry_s = 0.5
    fake.plan.latency_s = 0.03
    fake.plan.page_event_cap = 20
    mark = len(fake.received)

    read = run_connector("read", tmp_path, role_config(fake), catalog=full_refresh_catalog(sorted(seeded)))

    assert (read.returncode, read.errors) == (0, [])
    assert {group: read.events_of(group) for group in seeded} == seeded
    assert fake.rejections == {}  # no request carried expired (or mismatched) credentials
    received = fake.received[mark:]
    logs_calls = [r for r in received if r.operation in LOGS_CALLS]
    assert len(logs_calls) == 1 + 3 * 15  # DescribeLogGroups, then 300 / 20 pages per group
    assert logs_calls[-1].at - logs_calls[0].at > timedelta(seconds=1.5)  # the sync outlived 3 sessions at least
    issued = {c.access_key_id: c for c in fake.issued_credentials}
    for call in logs_calls:
        assert call.at < issued[call.access_key].expiration  # signed with a session valid on arrival
    assumed = [r for r in received if r.operation == "AssumeRole"]
    assert len(assumed) == len(issued) >= len({call.access_key for call in logs_calls}) > 3
    assert {(r.access_key, r.params["RoleSessionName"]) for r in assumed} == {
        (BASE_KEY, assumed[0].params["RoleSessionName"])  # one session name for the whole sync
    }


class MovableClock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def test_the_shared_client_signs_with_each_renewed_session(fake: FakeCloudWatch) -> None:
    """In-process, nothing sleeps: the connector's credentials and the fake share one movable clock, so the
    credentials moto's STS issues (for DurationSeconds=3600) expire when that clock says so. Fails if botocore
    no longer renews 15 minutes ahead, no longer keeps the current session when an advisory renewal fails,
    or stops signing with the credentials attached to the session."""
    clock = MovableClock()
    fake.clock = clock
    put_events(logs_client(fake.url), "app", "s", [(now_ms() - DAY, "x")])
    api = connect(aws_settings(parse_config(role_config(fake))), clock=clock)
    client = api.client

    def read_once() -> str:
        """The access key that signed one FilterLogEvents call."""
        mark = len(fake.received)
        assert [event["message"] for event in api.client.filter_log_events(logGroupName="app")["events"]] == ["x"]
        (call,) = [r for r in fake.received[mark:] if r.operation == "FilterLogEvents"]
        return call.access_key

    def issued(index: int) -> str:
        return fake.issued_credentials[index].access_key_id

    assert read_once() == issued(0)
    first_expiry = fake.issued_credentials[0].expiration
    assert first_expiry == clock.now + timedelta(seconds=3600)

    clock.now = first_expiry - timedelta(seconds=900)
    assert (read_once(), len(fake.issued_credentials)) == (issued(0), 1)
    clock.now = first_expiry - timedelta(seconds=899)  # advisory window: renewed
    assert (read_once(), len(fake.issued_credentials)) == (issued(1), 2)

    second_expiry = fake.issued_credentials[1].expiration
    fake.plan.untrusted_roles = {ROLE}  # the trust policy changes: renewals fail
    clock.now = second_expiry - timedelta(seconds=600)  # still advisory: the current session is kept
    assert (read_once(), fake.calls["AssumeRole"]) == (issued(1), 3)
    clock.now = second_expiry - timedelta(seconds=599)  # mandatory: the failure reaches the call
    mark = len(fake.received)
    with pytest.raises(AssumeRoleError) as raised:
        api.client.filter_log_events(logGroupName="app")
    assert (raised.value.role_arn, raised.value.response["Error"]["Code"]) == (ROLE, "AccessDenied")
    assert [r.operation for r in fake.received[mark:]] == ["AssumeRole"]  # nothing sent with old credentials

    fake.plan.untrusted_roles = set()
    assert read_once() == issued(2)
    clock.now = fake.issued_credentials[2].expiration + timedelta(hours=5)  # e.g. a machine that slept
    assert read_once() == issued(3)

    assert api.client is client
    assert len(fake.issued_credentials) == 4
    assert fake.rejections == {"AccessDenied": 2}  # the two refused renewals; no expired credentials ever sent


def denied(role: str) -> str:
    return (
        f"Could not assume role {role}: AWS denied sts:AssumeRole (User: arn:aws:iam::123456789012:user/test is not "
        f"authorized to perform: sts:AssumeRole on resource: {role}). Check the role's trust policy: it must allow "
        "the principal of the base credentials to call sts:AssumeRole, and if it has an sts:ExternalId condition, "
        "role_external_id must equal that value exactly (leave role_external_id empty only if there is no such "
        "condition). The base principal's own IAM policy must also allow sts:AssumeRole on the role."
    )


def rejected_base_keys(role: str, code: str, message: str) -> str:
    return (
        f"Could not assume role {role}: AWS rejected the base credentials used to call sts:AssumeRole ({code}: "
        f"{message}). Check aws_access_key_id, aws_secret_access_key and aws_session_token, or, when they are "
        "empty, the credentials of the default AWS credential chain."
    )


def check_discover_read(settings: dict[str, Any]) -> tuple[AirbyteConnectionStatus, str, str]:
    """In-process: check's status, and the config_error messages discover and read raise."""
    source = SourceCloudwatchLogs()
    status = source.check(LOGGER, settings)
    messages = []
    for run in (
        lambda: source.discover(LOGGER, settings),
        lambda: list(source.read(LOGGER, settings, CATALOG, None)),
    ):
        with pytest.raises(AirbyteTracedException) as raised:
            run()
        assert raised.value.failure_type == FailureType.config_error
        messages.append(str(raised.value.message))
    return status, messages[0], messages[1]


def test_roles_that_cannot_be_assumed_are_explained_by_check_discover_and_read(fake: FakeCloudWatch) -> None:
    """In-process (the entry point's handling of these messages is in test_secrets.py). Faked: IAM's answers to
    AssumeRole (moto assumes any role): a trust policy requiring an ExternalId, a role whose MaxSessionDuration
    is 1 hour, an access key AWS does not know, and a wrong secret key."""
    needs_external_id = "arn:aws:iam::123456789012:role/needs-external-id"
    one_hour_max = "arn:aws:iam::123456789012:role/one-hour-max"
    fake.plan.role_external_ids = {needs_external_id: "expected-external-id"}
    fake.plan.role_max_session_s = {one_hour_max: 3600}
    fake.plan.invalid_access_keys = {"TESTUNKNOWNEXAMPLE01"}
    fake.plan.bad_signature_keys = {"TESTWRONGSECRETEXAM1"}
    cases: dict[str, tuple[dict[str, Any], str]] = {
        "wrong external id": (
            role_config(fake, role_arn=needs_external_id, role_external_id="wrong-external-id"),
            denied(needs_external_id),
        ),
        "duration": (
            role_config(fake, role_arn=one_hour_max, session_duration=7200),
            f"Could not assume role {one_hour_max}: session_duration (7200 s) is longer than the role's maximum "
            "session duration (The requested DurationSeconds exceeds the MaxSessionDuration set for this role.). "
            "Lower session_duration to at most the role's MaxSessionDuration (3600 s unless raised), or raise the "
            "role's maximum session duration in IAM.",
        ),
        "unknown key": (
            role_config(fake, aws_access_key_id="TESTUNKNOWNEXAMPLE01"),
            rejected_base_keys(ROLE, "InvalidClientTokenId", "The security token included in the request is invalid."),
        ),
        "wrong secret": (
            role_config(fake, aws_access_key_id="TESTWRONGSECRETEXAM1"),
            rejected_base_keys(
                ROLE,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your AWS "
                "Secret Access Key and signing method. Consult the service documentation for details.",
            ),
        ),
    }
    for name, (settings, message) in cases.items():
        status, discovered, read = check_discover_read(settings)
        assert (status.status, status.message) == (Status.FAILED, message), name
        assert discovered == read == message, name

    # One AssumeRole per command (none of these errors is retried), and no logs call without a role session.
    assert [r.operation for r in fake.received] == ["AssumeRole"] * 3 * len(cases)
    assert fake.rejections == {
        "AccessDenied": 3,
        "ValidationError": 3,
        "InvalidClientTokenId": 3,
        "SignatureDoesNotMatch": 3,
    }


def test_the_role_works_once_the_trust_policy_matches(fake: FakeCloudWatch) -> None:
    put_events(logs_client(fake.url), "app", "s", [(now_ms() - DAY, "x")])
    fake.plan.role_external_ids = {ROLE: "expected-external-id"}
    status = SourceCloudwatchLogs().check(LOGGER, role_config(fake, role_external_id="expected-external-id"))
    assert status.status == Status.SUCCEEDED
    assert [r.operation for r in fake.received[-6:]] == ["AssumeRole", "ListLogGroups", "FilterLogEvents", *SWEEP_PROBE]


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No AWS_* variable of this process, no credential or config file, no instance metadata."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "absent"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "absent"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


def test_base_credentials_come_from_the_standard_chain(
    tmp_path: Path, fake: FakeCloudWatch, aws_environment: pytest.MonkeyPatch
) -> None:
    """In-process check, with this process's environment set per case. Which key signed what comes from the
    fake's request log: environment variables, a shared credentials file profile, a config file profile, and
    explicit keys (which win over the environment), with and without a role."""
    put_events(logs_client(fake.url), "app", "s", [(now_ms() - DAY, "x")])
    credentials_file = tmp_path / "credentials"
    credentials_file.write_text(
        "[default]\naws_access_key_id = TESTDEFAULTPROFILE01\naws_secret_access_key = d\n\n"
        "[reader]\naws_access_key_id = TESTSHAREDPROFILE001\naws_secret_access_key = s\n"
    )
    config_file = tmp_path / "config"
    config_file.write_text("[profile cfg]\naws_access_key_id = TESTCONFIGPROFILE001\naws_secret_access_key = c\n")

    def env_keys(key: str) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": "e"}

    keyless = config(fake.url, aws_access_key_id="", aws_secret_access_key="")
    keyless_role = {**keyless, "role_arn": ROLE, "sts_endpoint_url": fake.url}
    cases: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
        "environment": (keyless, env_keys("TESTENVIRONMENT00001")),
        "environment, role": (keyless_role, env_keys("TESTENVFORROLE000001")),
        "credentials file profile": (
            keyless,
            {"AWS_SHARED_CREDENTIALS_FILE": str(credentials_file), "AWS_PROFILE": "reader"},
        ),
        "config file profile, role": (keyless_role, {"AWS_CONFIG_FILE": str(config_file), "AWS_PROFILE": "cfg"}),
        "explicit keys over environment": (
            config(
                fake.url,
                aws_access_key_id="TESTEXPLICITKEYS0001",
                aws_secret_access_key="x",
                role_arn=ROLE,
                sts_endpoint_url=fake.url,
            ),
            env_keys("TESTENVIGNORED000001"),
        ),
        "no credentials anywhere, role": (keyless_role, {}),
        "profile that does not exist, role": (keyless_role, {"AWS_PROFILE": "missing"}),
    }
    mark = len(fake.received)
    statuses = {}
    for name, (settings, env) in cases.items():
        with aws_environment.context() as scoped:
            for variable, value in env.items():
                scoped.setenv(variable, value)
            status = SourceCloudwatchLogs().check(LOGGER, settings)
        statuses[name] = (status.status, status.message)

    failures = {
        "no credentials anywhere, role": (
            Status.FAILED,
            "No AWS credentials were found: set aws_access_key_id and aws_secret_access_key, or provide "
            "credentials through the default AWS credential chain.",
        ),
        "profile that does not exist, role": (
            Status.FAILED,
            "The AWS profile 'missing' (AWS_PROFILE) is in neither the shared credentials nor the config file: fix "
            "AWS_PROFILE or those files, or set aws_access_key_id and aws_secret_access_key.",
        ),
    }
    assert statuses == {**{name: (Status.SUCCEEDED, None) for name in cases if name not in failures}, **failures}
    issued = {c.issued_to: c.access_key_id for c in fake.issued_credentials}
    assert set(issued) == {"TESTENVFORROLE000001", "TESTCONFIGPROFILE001", "TESTEXPLICITKEYS0001"}
    reads = {"ListLogGroups", "FilterLogEvents", *SWEEP_PROBE}
    assert operations_by_key(fake.received[mark:]) == {
        "TESTENVIRONMENT00001": reads,
        "TESTENVFORROLE000001": {"AssumeRole"},
        issued["TESTENVFORROLE000001"]: reads,
        "TESTSHAREDPROFILE001": reads,
        "TESTCONFIGPROFILE001": {"AssumeRole"},
        issued["TESTCONFIGPROFILE001"]: reads,
        "TESTEXPLICITKEYS0001": {"AssumeRole"},
        issued["TESTEXPLICITKEYS0001"]: reads,
    }


def test_an_unreachable_endpoint_with_a_role_is_reported_by_check() -> None:
    port = closed_port()
    logs, sts = f"http://127.0.0.1:{port}", f"http://127.0.0.2:{port}"
    status = SourceCloudwatchLogs().check(LOGGER, config(logs, role_arn=ROLE, sts_endpoint_url=sts))
    assert (status.status, status.message) == (
        Status.FAILED,
        f"Could not reach AWS STS at {sts}/ to assume role_arn: check that region_name ('us-east-1') is a "
        "real AWS region in which STS is reachable, and sts_endpoint_url, if set.",
    )
