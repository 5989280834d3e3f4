from __future__ import annotations

from dataclasses import fields

from source_cloudwatch_logs.aws.settings import AwsSettings
from source_cloudwatch_logs.spec import aws_settings, parse_config
from unit_tests.conftest import BASE_CONFIG, ROLE

SECRETS = {
    "aws_access_key_id": "AKIDSECRETVALUE",
    "aws_secret_access_key": "s3cr3t-value",
    "aws_session_token": "tok3n",
}


def test_the_settings_never_show_a_secret() -> None:
    settings = aws_settings(parse_config({**BASE_CONFIG, **SECRETS, "role_arn": ROLE}))
    assert (settings.access_key_id, settings.secret_access_key, settings.session_token) == tuple(SECRETS.values())
    for shown in (repr(settings), str(settings), f"{settings}"):
        assert "us-east-1" in shown and ROLE in shown
        for value in SECRETS.values():
            assert value not in shown


def test_the_settings_are_built_from_every_setting_the_aws_layer_reads() -> None:
    raw = {
        "region_name": "eu-west-1",
        "endpoint_url": "https://logs.example",
        "sts_endpoint_url": "https://sts.example",
        "role_arn": ROLE,
        "role_external_id": "ext-42",
        "session_duration": 5400,
        "requests_per_second": 2.5,
        **SECRETS,
    }
    assert aws_settings(parse_config(raw)) == AwsSettings(
        region="eu-west-1",
        endpoint_url="https://logs.example",
        access_key_id="AKIDSECRETVALUE",
        secret_access_key="s3cr3t-value",
        session_token="tok3n",
        role_arn=ROLE,
        role_external_id="ext-42",
        session_duration_s=5400,
        sts_endpoint_url="https://sts.example",
        requests_per_second=2.5,
    )
    defaults = aws_settings(parse_config({"region_name": "us-east-1"}))
    assert defaults == AwsSettings(region="us-east-1")  # the default chain, AWS's endpoints and quotas
    assert {f.name for f in fields(AwsSettings)} >= {"hide"}  # secrets the layer obtains are handed over
