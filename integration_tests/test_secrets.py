"""No secret reaches the output: spec, check, discover and read through the real entry point, on success and
failure paths, with distinctive fake secrets. Checked in stdout and stderr, raw, JSON-escaped and URL-encoded,
down to any 16 characters of: the base secret key, session token and access key ids, and the credentials
moto's STS issued for the role.

Faked (testkit/fake_sts.py, testkit/filter_events.py): IAM's answers to AssumeRole (ExternalId required, 1-hour maximum session, an
unknown access key) and an AccessDenied on FilterLogEvents for one log group.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from testkit.connector import config, configured_catalog, run_connector
from testkit.fake_logs import FakeCloudWatch
from testkit.messages import Output
from testkit.seeding import DAY, logs_client, now_ms, put_events
from testkit.server_process import closed_port

SECRET_KEY = "SECRETkey+DO-NOT-LEAK-1234567890abcdefghij"
SESSION_TOKEN = "SESSIONtoken-DO-NOT-LEAK-IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD=="
ACCESS_KEY = "TESTDONOTLEAKEXAMPLE"
UNKNOWN_ACCESS_KEY = "TESTDONOTLEAKUNKNOWN"
SECRET_FIELDS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")


def broken(secret: str) -> str:
    """A secret with a line break inside, as a bad paste leaves it."""
    return f"{secret[:10]}\n{secret[10:]}"


ROLE = "arn:aws:iam::123456789012:role/cloudwatch-reader"
ROLE_WITH_EXTERNAL_ID = "arn:aws:iam::123456789012:role/needs-external-id"
ROLE_ONE_HOUR = "arn:aws:iam::123456789012:role/one-hour-max"


FRAGMENT = 16  # a leak is any 16 characters of a secret, not only the whole of it


def fragments_of(value: str) -> set[str]:
    """Every FRAGMENT-long piece of the value as it could be printed: as is, JSON-escaped, URL-encoded."""
    forms = {value, json.dumps(value)[1:-1], quote(value, safe="")}
    return {form[i : i + FRAGMENT] for form in forms for i in range(len(form) - FRAGMENT + 1)}


def test_no_secret_appears_in_any_output(tmp_path: Path, fake: FakeCloudWatch) -> None:
    base = now_ms() - DAY
    client = logs_client(fake.url)
    put_events(client, "app", "s", [(base + i, f"event {i}") for i in range(50)])
    put_events(client, "denied", "s", [(base, "never read")])
    fake.plan.deny_groups = {"denied"}
    fake.plan.role_external_ids = {ROLE_WITH_EXTERNAL_ID: "expected-external-id"}
    fake.plan.role_max_session_s = {ROLE_ONE_HOUR: 3600}
    fake.plan.invalid_access_keys = {UNKNOWN_ACCESS_KEY}

    good = config(
        fake.url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        aws_session_token=SESSION_TOKEN,
        role_arn=ROLE,
        sts_endpoint_url=fake.url,  # the fake serves STS too
    )
    bad_types = {**good, "aws_secret_access_key": [SECRET_KEY, 5], "aws_session_token": {"t": SESSION_TOKEN}}
    streams = [
        {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh"]} for name in ("app", "denied")
    ]
    catalog = configured_catalog({"streams": streams}, "full_refresh")
    unreachable = f"http://127.0.0.1:{closed_port()}"
    padded = {key: f" {good[key]}\n" for key in [*SECRET_FIELDS, "region_name", "endpoint_url", "sts_endpoint_url"]}
    padded = {**good, **padded, "aws_session_token": f"{SESSION_TOKEN}\r\n"}
    without_endpoint = {key: value for key, value in good.items() if key not in {"endpoint_url", "sts_endpoint_url"}}

    runs: dict[str, Output] = {
        "spec": run_connector("spec", tmp_path),
        "check": run_connector("check", tmp_path, good),
        "read, debug logs, one stream denied": run_connector(
            "read", tmp_path, good, catalog=catalog, extra_args=["--debug"], env={"LOG_LEVEL": "debug"}
        ),
        "check, ExternalId mismatch": run_connector(
            "check", tmp_path, {**good, "role_arn": ROLE_WITH_EXTERNAL_ID, "role_external_id": "wrong-external-id"}
        ),
        "discover, duration above the role's maximum": run_connector(
            "discover", tmp_path, {**good, "role_arn": ROLE_ONE_HOUR, "session_duration": 7200}
        ),
        "read, unknown base key": run_connector(
            "read", tmp_path, {**good, "aws_access_key_id": UNKNOWN_ACCESS_KEY}, catalog=catalog
        ),
        # check validates the config against the spec's JSON schema first (the CDK does, whatever the source says),
        # whose messages quote the offending value; discover and read use the pydantic model, whose messages never
        # echo a value (unit_tests/test_spec.py).
        "check, invalid config types": run_connector("check", tmp_path, bad_types),
        "check, region without STS or logs": run_connector(
            "check", tmp_path, {**without_endpoint, "region_name": "xx-nowhere-9"}
        ),
        "check, unreachable endpoint": run_connector("check", tmp_path, {**good, "endpoint_url": unreachable}),
        # Issue 15, items 2 and 7: copy-paste whitespace around every secret, the region and the endpoints.
        "check, whitespace around values": run_connector("check", tmp_path, padded),
        "discover, whitespace around values": run_connector("discover", tmp_path, padded),
        **{
            f"check, line break inside {field}": run_connector("check", tmp_path, {**good, field: broken(good[field])})
            for field in SECRET_FIELDS
        },
    }

    # Each run took the path it is named after (else it would prove nothing).
    def status(name: str) -> dict[str, Any]:
        return runs[name].connection_status

    def error(name: str) -> str:
        return str(runs[name].errors[0]["message"])

    assert runs["spec"].of("SPEC")
    assert status("check") == {"status": "SUCCEEDED"}
    read = runs["read, debug logs, one stream denied"]
    assert len(read.records_of("app")) == 50
    assert error("read, debug logs, one stream denied").startswith("Stream 'denied': Permission denied")
    assert read.logs("DEBUG")  # debug logging was on
    assert status("check, ExternalId mismatch")["message"].startswith(f"Could not assume role {ROLE_WITH_EXTERNAL_ID}")
    assert error("discover, duration above the role's maximum").startswith(
        f"Could not assume role {ROLE_ONE_HOUR}: session_duration (7200 s)"
    )
    assert error("read, unknown base key").startswith(f"Could not assume role {ROLE}: AWS rejected the base")
    assert status("check, invalid config types")["message"] == (
        "Invalid configuration: `aws_secret_access_key` Input should be a valid string; "
        "`aws_session_token` Input should be a valid string."
    )
    assert status("check, region without STS or logs")["message"].startswith(
        "Could not reach AWS STS at https://sts.xx-nowhere-9.amazonaws.com"
    )
    assert status("check, unreachable endpoint")["message"].startswith(
        f"Could not reach CloudWatch Logs at {unreachable}"
    )
    assert status("check, whitespace around values") == {"status": "SUCCEEDED"}
    assert runs["discover, whitespace around values"].returncode == 0
    assert [s["name"] for s in runs["discover, whitespace around values"].catalog["streams"]] == ["app", "denied"]
    for field in SECRET_FIELDS:
        assert status(f"check, line break inside {field}") == {
            "status": "FAILED",
            "message": f"Invalid configuration: `{field}` contains spaces or line breaks; paste the value again "
            "without them.",
        }

    issued = fake.issued_credentials
    # the successful check and read, the check whose CloudWatch Logs endpoint is unreachable (STS is not), and
    # the check and discover with whitespace around every value assumed the role once each
    assert len(issued) == 5
    secrets = {SECRET_KEY, SESSION_TOKEN, ACCESS_KEY, UNKNOWN_ACCESS_KEY}
    secrets |= {value for c in issued for value in (c.secret_access_key, c.session_token, c.access_key_id)}
    fragments = {fragment: secret for secret in secrets for fragment in fragments_of(secret)}
    leaks = {
        (name, stream, fragments[text[i : i + FRAGMENT]])
        for name, out in runs.items()
        for stream, text in (("stdout", out.stdout), ("stderr", out.stderr))
        for i in range(len(text) - FRAGMENT + 1)
        if text[i : i + FRAGMENT] in fragments
    }
    assert leaks == set()
