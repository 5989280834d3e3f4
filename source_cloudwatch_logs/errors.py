"""AWS failures in words a user can act on, and whether the user (config_error) or time (transient) fixes them.

AWS error messages name principals and resources, never credentials, so they are safe to quote.
"""

from __future__ import annotations

from urllib.parse import urlparse

from airbyte_cdk.models import FailureType
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
)

CREDENTIAL_ERROR_CODES = {
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "ExpiredToken",
    "IncompleteSignature",
}


def error_code(error: BaseException) -> str | None:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "") or None
    return None


USER_FIXABLE_CODES = CREDENTIAL_ERROR_CODES | {
    "AccessDeniedException",
    "AccessDenied",
    "ResourceNotFoundException",
    "InvalidOperationException",
}
# sts:AssumeRole failures the user must fix: trust policy / ExternalId, duration or ARN, base keys, STS region.
ASSUME_ROLE_FIXABLE_CODES = CREDENTIAL_ERROR_CODES | {
    "AccessDenied",
    "ValidationError",
    "MalformedPolicyDocument",
    "RegionDisabledException",
}
MAX_SESSION_DURATION_MESSAGE = "DurationSeconds exceeds the MaxSessionDuration"
ROLE_CHAINING_MESSAGE = "session limit for roles assumed by role chaining"


def is_assume_role_error(error: BaseException) -> bool:
    return isinstance(error, ClientError) and error.operation_name == "AssumeRole"


def failure_type(error: BaseException) -> FailureType:
    """config_error when the user must change something (keys, role, permissions, names), else transient."""
    if is_assume_role_error(error):
        return FailureType.config_error if error_code(error) in ASSUME_ROLE_FIXABLE_CODES else FailureType.system_error
    if isinstance(error, NoCredentialsError | EndpointConnectionError | ProfileNotFound):
        return FailureType.config_error
    if error_code(error) in USER_FIXABLE_CODES:
        return FailureType.config_error
    return FailureType.system_error


def explain_assume_role(error: ClientError) -> str:
    """What went wrong with sts:AssumeRole, naming the role, and what to change."""
    code = error_code(error)
    message = error.response.get("Error", {}).get("Message") or str(error)
    role = getattr(error, "role_arn", None)
    duration = getattr(error, "duration_seconds", None)
    prefix = f"Could not assume role {role}" if role else "Could not assume the role in role_arn"
    asked = f"session_duration ({duration} s)" if duration else "session_duration"
    if code in {"AccessDenied", "AccessDeniedException"}:
        return (
            f"{prefix}: AWS denied sts:AssumeRole ({message}). Check the role's trust policy: it must allow the "
            "principal of the base credentials to call sts:AssumeRole, and if it has an sts:ExternalId condition, "
            "role_external_id must equal that value exactly (leave role_external_id empty only if there is no such "
            "condition). The base principal's own IAM policy must also allow sts:AssumeRole on the role."
        )
    if code == "ValidationError" and MAX_SESSION_DURATION_MESSAGE in message:
        return (
            f"{prefix}: {asked} is longer than the role's maximum session duration ({message}). Lower "
            "session_duration to at most the role's MaxSessionDuration (3600 s unless raised), or raise the role's "
            "maximum session duration in IAM."
        )
    if code == "ValidationError" and ROLE_CHAINING_MESSAGE in message:
        return (
            f"{prefix}: {asked} is longer than 1 hour, the limit when the base credentials are themselves an "
            f"assumed role's (role chaining) ({message}). Set session_duration to 3600 or less, or use base "
            "credentials that do not come from an assumed role."
        )
    if code in CREDENTIAL_ERROR_CODES:
        return (
            f"{prefix}: AWS rejected the base credentials used to call sts:AssumeRole ({code}: {message}). Check "
            "aws_access_key_id, aws_secret_access_key and aws_session_token, or, when they are empty, the "
            "credentials of the default AWS credential chain."
        )
    if code == "RegionDisabledException":
        return f"{prefix}: {message} Activate STS in region_name's region (IAM > Account settings) or use another."
    return f"{prefix}: sts:AssumeRole failed with {code}: {message}"


def explain(error: BaseException, action: str, region: str, endpoint: str) -> str:
    """A message a user can act on, for an AWS failure of `action` (e.g. "logs:FilterLogEvents").

    AWS error messages name principals and resources, never credentials, so they are safe to quote.
    With role_arn set, the first call of `action` assumes the role first: its failures are explained as such.
    """
    code = error_code(error)
    if isinstance(error, NoCredentialsError):
        return (
            "No AWS credentials were found: set aws_access_key_id and aws_secret_access_key, "
            "or provide credentials through the default AWS credential chain."
        )
    if isinstance(error, ProfileNotFound):
        return (
            f"The AWS profile '{error.kwargs.get('profile')}' (AWS_PROFILE) is in neither the shared credentials "
            "nor the config file: fix AWS_PROFILE or those files, or set aws_access_key_id and aws_secret_access_key."
        )
    if isinstance(error, EndpointConnectionError):
        failed = str(error.kwargs.get("endpoint_url") or "")
        if urlparse(failed).netloc.startswith("sts."):
            return (
                f"Could not reach AWS STS at {failed} to assume role_arn: check that region_name "
                f"('{region}') is a real AWS region in which STS is reachable."
            )
        return (
            f"Could not reach CloudWatch Logs at {endpoint}: check that region_name "
            f"('{region}') is a real AWS region and endpoint_url, if set, is reachable."
        )
    if isinstance(error, ClientError):
        if is_assume_role_error(error):
            return explain_assume_role(error)
        message = error.response.get("Error", {}).get("Message") or str(error)
        if code in CREDENTIAL_ERROR_CODES:
            return (
                f"AWS rejected the credentials ({code}: {message}). Check aws_access_key_id, "
                "aws_secret_access_key and aws_session_token."
            )
        if code in {"AccessDeniedException", "AccessDenied"}:
            return f"Permission denied: the credentials are not allowed {action} ({message}). Grant {action}."
        if code == "ResourceNotFoundException":
            return f"{message} ({action})"
        return f"{action} failed with {code}: {message}"
    if isinstance(error, BotoCoreError):
        return f"{action} failed: {error}"
    return f"{action} failed: {type(error).__name__}"
