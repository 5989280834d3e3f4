"""The error table: every AWS failure explained in words a user can act on, and its fault: the user's (CONFIG) or
TRANSIENT. AWS's error shapes are built by hand (botocore's ClientError), as AWS returns them."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ProfileNotFound, ReadTimeoutError

from source_cloudwatch_logs.aws.errors import Action, Failure, Fault, explain, fault_of
from unit_tests.conftest import DENIED, ROLE, role_error, sts_error

TOO_LONG = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


INVALID_TOKEN = "The security token included in the request is invalid."


BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details."
)


EXPLAINED = {
    "trust policy or ExternalId": (
        role_error("AccessDenied", DENIED),
        f"Could not assume role {ROLE}: AWS denied sts:AssumeRole ({DENIED}). Check the role's trust policy: it "
        "must allow the principal of the base credentials to call sts:AssumeRole, and if it has an sts:ExternalId "
        "condition, role_external_id must equal that value exactly (leave role_external_id empty only if there is "
        "no such condition). The base principal's own IAM policy must also allow sts:AssumeRole on the role.",
        Fault.CONFIG,
    ),
    "duration above the role's maximum": (
        role_error("ValidationError", TOO_LONG, duration=7200),
        f"Could not assume role {ROLE}: session_duration (7200 s) is longer than the role's maximum session "
        f"duration ({TOO_LONG}). Lower session_duration to at most the role's MaxSessionDuration (3600 s unless "
        "raised), or raise the role's maximum session duration in IAM.",
        Fault.CONFIG,
    ),
    "duration above the role chaining limit": (
        role_error(
            "ValidationError",
            "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
            duration=7200,
        ),
        f"Could not assume role {ROLE}: session_duration (7200 s) is longer than 1 hour, the limit when the base "
        "credentials are themselves an assumed role's (role chaining) (The requested DurationSeconds exceeds the 1 "
        "hour session limit for roles assumed by role chaining.). Set session_duration to 3600 or less, or use base "
        "credentials that do not come from an assumed role.",
        Fault.CONFIG,
    ),
    "unknown base key": (
        role_error("InvalidClientTokenId", INVALID_TOKEN),
        f"Could not assume role {ROLE}: AWS rejected the base credentials used to call sts:AssumeRole "
        f"(InvalidClientTokenId: {INVALID_TOKEN}). Check aws_access_key_id, aws_secret_access_key and "
        "aws_session_token, or, when they are empty, the credentials of the default AWS credential chain.",
        Fault.CONFIG,
    ),
    "wrong base secret": (
        role_error("SignatureDoesNotMatch", BAD_SIGNATURE),
        f"Could not assume role {ROLE}: AWS rejected the base credentials used to call sts:AssumeRole "
        f"(SignatureDoesNotMatch: {BAD_SIGNATURE}). Check aws_access_key_id, aws_secret_access_key and "
        "aws_session_token, or, when they are empty, the credentials of the default AWS credential chain.",
        Fault.CONFIG,
    ),
    "expired base session token": (
        role_error("ExpiredToken", "The security token included in the request is expired"),
        f"Could not assume role {ROLE}: AWS rejected the base credentials used to call sts:AssumeRole "
        "(ExpiredToken: The security token included in the request is expired). Check aws_access_key_id, "
        "aws_secret_access_key and aws_session_token, or, when they are empty, the credentials of the default AWS "
        "credential chain.",
        Fault.CONFIG,
    ),
    "STS off in the region": (
        role_error("RegionDisabledException", "STS is not activated in this region for account:123456789012."),
        f"Could not assume role {ROLE}: STS is not activated in this region for account:123456789012. Activate "
        "STS in region_name's region (IAM > Account settings) or use another.",
        Fault.CONFIG,
    ),
    "other validation error": (
        role_error("ValidationError", "1 validation error detected: Value 'x' at 'roleArn' failed"),
        f"Could not assume role {ROLE}: sts:AssumeRole failed with ValidationError: 1 validation error detected: "
        "Value 'x' at 'roleArn' failed",
        Fault.CONFIG,
    ),
    "throttled": (
        role_error("Throttling", "Rate exceeded"),
        f"Could not assume role {ROLE}: sts:AssumeRole failed with Throttling: Rate exceeded",
        Fault.TRANSIENT,
    ),
    "plain botocore error, role unknown": (
        sts_error("AccessDenied", DENIED),
        f"Could not assume the role in role_arn: AWS denied sts:AssumeRole ({DENIED}). Check the role's trust "
        "policy: it must allow the principal of the base credentials to call sts:AssumeRole, and if it has an "
        "sts:ExternalId condition, role_external_id must equal that value exactly (leave role_external_id empty "
        "only if there is no such condition). The base principal's own IAM policy must also allow sts:AssumeRole "
        "on the role.",
        Fault.CONFIG,
    ),
}


@pytest.mark.parametrize("case", list(EXPLAINED))
def test_sts_failures_are_explained_with_the_role(case: str) -> None:
    error, message, kind = EXPLAINED[case]
    for action in (Action.DESCRIBE_LOG_GROUPS, Action.FILTER_LOG_EVENTS):  # whichever call assumed the role first
        assert explain(error, Failure(action, "us-east-1", "https://logs.us-east-1.amazonaws.com")) == message
    assert fault_of(error) == kind


def test_logs_failures_keep_their_own_explanation() -> None:
    denied = sts_error("AccessDeniedException", "no", operation="FilterLogEvents")
    assert explain(denied, Failure(Action.FILTER_LOG_EVENTS, "us-east-1", "x")) == (
        "Permission denied: the credentials are not allowed logs:FilterLogEvents (no). Grant logs:FilterLogEvents."
    )
    assert fault_of(sts_error("ValidationError", "x", operation="FilterLogEvents")) == Fault.TRANSIENT


def test_unreachable_sts_and_logs_endpoints_are_told_apart() -> None:
    sts = EndpointConnectionError(endpoint_url="https://sts.xx-nowhere-9.amazonaws.com/")
    logs = EndpointConnectionError(endpoint_url="https://logs.xx-nowhere-9.amazonaws.com/")
    endpoint = "https://logs.xx-nowhere-9.amazonaws.com"
    assert explain(sts, Failure(Action.DESCRIBE_LOG_GROUPS, "xx-nowhere-9", endpoint)) == (
        "Could not reach AWS STS at https://sts.xx-nowhere-9.amazonaws.com/ to assume role_arn: check that "
        "region_name ('xx-nowhere-9') is a real AWS region in which STS is reachable, and sts_endpoint_url, if set."
    )
    assert explain(logs, Failure(Action.DESCRIBE_LOG_GROUPS, "xx-nowhere-9", endpoint)) == (
        f"Could not reach CloudWatch Logs at {endpoint}: check that region_name ('xx-nowhere-9') is a real AWS "
        "region and endpoint_url, if set, is reachable."
    )
    assert fault_of(sts) == fault_of(logs) == Fault.CONFIG


def test_an_endpoint_that_never_answers_is_named_with_the_setting_to_check() -> None:
    """Issue 24: discover and check end on a read timeout against a silent endpoint (a hung proxy, a wrong port)."""
    endpoint = "http://10.0.0.5:4566"
    logs = ReadTimeoutError(endpoint_url=f"{endpoint}/")
    sts = ReadTimeoutError(endpoint_url="https://sts.example.test/")
    failure = Failure(Action.DESCRIBE_LOG_GROUPS, "us-east-1", endpoint)
    assert explain(logs, failure) == (
        f'logs:DescribeLogGroups failed: Read timeout on endpoint URL: "{endpoint}/": the endpoint accepted the '
        "connection but sent no answer in time. Check that endpoint_url, if set, is an AWS endpoint (or a VPC "
        "endpoint or proxy that forwards to one) that answers, and that no firewall or proxy on the way holds "
        "connections open."
    )
    assert "https://sts.example.test/" in explain(sts, failure)
    assert "Check that sts_endpoint_url, if set," in explain(sts, failure)
    assert fault_of(logs) == Fault.TRANSIENT  # an outage may end: the platform retries


def test_a_missing_profile_is_a_config_error() -> None:
    error = ProfileNotFound(profile="reader")
    assert explain(error, Failure(Action.DESCRIBE_LOG_GROUPS, "us-east-1", "x")) == (
        "The AWS profile 'reader' (AWS_PROFILE) is in neither the shared credentials nor the config file: fix "
        "AWS_PROFILE or those files, or set aws_access_key_id and aws_secret_access_key."
    )
    assert fault_of(error) == Fault.CONFIG


def test_an_html_error_page_is_named_not_quoted() -> None:
    # botocore gives an unparseable 500 body as the message: moto's answer to StartQuery with logGroupIdentifiers
    page = "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>"
    error = ClientError(
        {"Error": {"Code": "500", "Message": page}, "ResponseMetadata": {"HTTPStatusCode": 500}}, "StartQuery"
    )
    assert explain(error, Failure(Action.START_QUERY, "us-east-1", "x")) == (
        "logs:StartQuery failed with 500: the endpoint answered HTTP 500 with a page that is not an AWS error (a "
        "proxy's or server's own page)"
    )
