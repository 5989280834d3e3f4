"""The fake's STS (testkit/fake_sts.py): AssumeRole checked like IAM, issued credentials enforced, requests
logged with their signing key. Exercised with real boto3 clients, so the error shapes are what botocore parses
from AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from testkit.fake_logs import FakeCloudWatch
from testkit.faults import FaultPlan, update_plan
from testkit.tests.conftest import client, error_of

ROLE = "arn:aws:iam::123456789012:role/reader"
BASE_KEY = "AKIABASE"


def assume(fake: FakeCloudWatch, **params: Any) -> dict[str, Any]:
    return client(fake.url, "sts", BASE_KEY).assume_role(**{"RoleArn": ROLE, "RoleSessionName": "s1", **params})  # type: ignore[no-any-return]


def test_assume_role_issues_credentials_dated_by_the_fake_clock(fake: FakeCloudWatch) -> None:
    start = datetime(2030, 5, 1, 12, 0, tzinfo=UTC)
    fake.clock = lambda: start
    answer = assume(fake, DurationSeconds=7200, ExternalId="ext-1")
    credentials = answer["Credentials"]

    assert credentials["Expiration"] == start + timedelta(hours=2)
    (issued,) = fake.issued_credentials
    assert (issued.access_key_id, issued.secret_access_key, issued.session_token) == (
        credentials["AccessKeyId"],
        credentials["SecretAccessKey"],
        credentials["SessionToken"],
    )
    assert (issued.expiration, issued.role_arn, issued.session_name, issued.issued_to) == (
        start + timedelta(hours=2),
        ROLE,
        "s1",
        "AKIABASE",
    )
    (received,) = fake.received
    assert (received.operation, received.access_key, received.at) == ("AssumeRole", "AKIABASE", start)
    assert received.params == {
        "Action": "AssumeRole",
        "Version": "2011-06-15",
        "RoleArn": ROLE,
        "RoleSessionName": "s1",
        "DurationSeconds": "7200",
        "ExternalId": "ext-1",
    }
    assert received.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIABASE/")
    assert received.headers["content-type"].startswith("application/x-www-form-urlencoded")


def test_short_sessions_and_expired_credentials_are_refused_like_aws(fake: FakeCloudWatch) -> None:
    now = [datetime(2030, 5, 1, 12, 0, tzinfo=UTC)]
    fake.clock = lambda: now[0]
    fake.plan.assume_role_expiry_s = 5
    credentials = assume(fake, DurationSeconds=3600)["Credentials"]
    assert credentials["Expiration"] == now[0] + timedelta(seconds=5)
    logs = client(
        fake.url, "logs", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )

    now[0] += timedelta(seconds=4.999)
    assert logs.describe_log_groups()["logGroups"] == []
    now[0] += timedelta(milliseconds=1)
    with pytest.raises(ClientError) as raised:
        logs.describe_log_groups()
    assert error_of(raised) == (400, "ExpiredTokenException", "The security token included in the request is expired")
    sts = client(
        fake.url, "sts", credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"]
    )
    with pytest.raises(ClientError) as raised:
        sts.assume_role(RoleArn=ROLE, RoleSessionName="chained")
    assert error_of(raised) == (400, "ExpiredToken", "The security token included in the request is expired")
    assert fake.rejections == {"ExpiredToken": 2}


def test_a_key_with_another_sessions_token_is_unknown(fake: FakeCloudWatch) -> None:
    first = assume(fake)["Credentials"]
    second = assume(fake)["Credentials"]
    mixed = client(fake.url, "logs", first["AccessKeyId"], first["SecretAccessKey"], second["SessionToken"])
    with pytest.raises(ClientError) as raised:
        mixed.describe_log_groups()
    assert error_of(raised) == (
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )


@pytest.mark.parametrize(
    ("plan", "params", "expected"),
    [
        (
            {"untrusted_roles": [ROLE]},
            {},
            (
                403,
                "AccessDenied",
                f"User: arn:aws:iam::123456789012:user/test is not authorized to perform: sts:AssumeRole on "
                f"resource: {ROLE}",
            ),
        ),
        (
            {"role_external_ids": {ROLE: "right"}},
            {"ExternalId": "wrong"},
            (
                403,
                "AccessDenied",
                f"User: arn:aws:iam::123456789012:user/test is not authorized to perform: sts:AssumeRole on "
                f"resource: {ROLE}",
            ),
        ),
        (
            {"role_external_ids": {ROLE: "right"}},
            {},
            (
                403,
                "AccessDenied",
                f"User: arn:aws:iam::123456789012:user/test is not authorized to perform: sts:AssumeRole on "
                f"resource: {ROLE}",
            ),
        ),
        (
            {"role_max_session_s": {ROLE: 3600}},
            {"DurationSeconds": 3601},
            (400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."),
        ),
        (
            {"invalid_access_keys": ["AKIABASE"]},
            {},
            (403, "InvalidClientTokenId", "The security token included in the request is invalid."),
        ),
        (
            {"bad_signature_keys": ["AKIABASE"]},
            {},
            (
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided. Check your AWS "
                "Secret Access Key and signing method. Consult the service documentation for details.",
            ),
        ),
    ],
)
def test_assume_role_refusals(
    fake: FakeCloudWatch, plan: dict[str, Any], params: dict[str, Any], expected: tuple[int, str, str]
) -> None:
    update_plan(fake.plan, plan)
    with pytest.raises(ClientError) as raised:
        assume(fake, **params)
    assert raised.value.operation_name == "AssumeRole"
    assert error_of(raised) == expected
    assert fake.issued_credentials == []
    assert fake.rejections == {expected[1]: 1}


def test_assume_role_with_the_required_external_id_and_an_allowed_duration(fake: FakeCloudWatch) -> None:
    update_plan(fake.plan, {"role_external_ids": {ROLE: "right"}, "role_max_session_s": {ROLE: 3600}})
    assume(fake, ExternalId="right", DurationSeconds=3600)
    assert len(fake.issued_credentials) == 1
    assert fake.rejections == {}


def test_unknown_keys_and_bad_signatures_on_logs_calls(fake: FakeCloudWatch) -> None:
    fake.plan.invalid_access_keys = {"AKIAUNKNOWN"}
    fake.plan.bad_signature_keys = {"AKIAWRONGSECRET"}
    with pytest.raises(ClientError) as raised:
        client(fake.url, "logs", "AKIAUNKNOWN").describe_log_groups()
    assert error_of(raised) == (
        400,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    )
    with pytest.raises(ClientError) as raised:
        client(fake.url, "logs", "AKIAWRONGSECRET").describe_log_groups()
    assert error_of(raised)[:2] == (400, "InvalidSignatureException")
    assert client(fake.url, "logs", "AKIAFINE").describe_log_groups()["logGroups"] == []
    assert [(r.operation, r.access_key) for r in fake.received] == [
        ("DescribeLogGroups", "AKIAUNKNOWN"),
        ("DescribeLogGroups", "AKIAWRONGSECRET"),
        ("DescribeLogGroups", "AKIAFINE"),
    ]
    assert fake.rejections == {"InvalidClientTokenId": 1, "SignatureDoesNotMatch": 1}


def test_update_plan_and_reset(fake: FakeCloudWatch) -> None:
    plan = FaultPlan()
    update_plan(
        plan,
        {
            "untrusted_roles": ["a"],
            "invalid_access_keys": ["b"],
            "bad_signature_keys": ["c"],
            "role_external_ids": {"r": "x"},
            "role_max_session_s": {"r": "7200"},
            "assume_role_expiry_s": 2.5,
        },
    )
    assert (plan.untrusted_roles, plan.invalid_access_keys, plan.bad_signature_keys) == ({"a"}, {"b"}, {"c"})
    assert (plan.role_external_ids, plan.role_max_session_s, plan.assume_role_expiry_s) == (
        {"r": "x"},
        {"r": 7200},
        2.5,
    )

    fake.clock = lambda: datetime(2000, 1, 1, tzinfo=UTC)
    fake.plan.invalid_access_keys = {"AKIAUNKNOWN"}
    assume(fake)
    with pytest.raises(ClientError):
        client(fake.url, "logs", "AKIAUNKNOWN").describe_log_groups()
    fake.reset()
    assert (fake.received, fake.issued_credentials, fake.rejections) == ([], [], {})
    assert abs(fake.clock() - datetime.now(UTC)) < timedelta(seconds=5)
