"""AWS failures in words a user can act on: one table from error code to fault and message, one builder from an
AWS/botocore exception to this layer's error, and the error classes, one per kind of failure.

Every error this layer raises is an `AwsError`: the message the user reads, an internal message, and its `Fault`:
CONFIG means the user must change something (keys, role, permissions, names, a setting's value); TRANSIENT means
time may fix it (throttling that never stopped, 5xx, a query that timed out); SYSTEM means the endpoint (or the
connector) does not behave as AWS documents. The connector turns them into Airbyte errors (failures.py: CONFIG is
a config_error, the others a system_error, which the platform retries). AWS error messages name principals and
resources, never credentials, so they are safe to quote. Tests: unit_tests/aws/test_errors.py,
unit_tests/test_failures.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)


class Fault(StrEnum):
    """Whose a failure is: what the user, or time, can do about it."""

    CONFIG = "config"  # the user must change something
    TRANSIENT = "transient"  # time may fix it: the next attempt may work
    SYSTEM = "system"  # the endpoint (or the connector) does not behave as AWS documents


class AwsError(Exception):
    """A failure of the AWS layer: `message` for the user (naming the stream, if any), `internal_message` for the
    logs, and its fault."""

    fault = Fault.SYSTEM

    def __init__(self, message: str, *, internal_message: str, fault: Fault | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.internal_message = internal_message
        if fault is not None:
            self.fault = fault


class CallFailed(AwsError):
    """An AWS call failed, or a session or client could not be built (`aws_failure`); its fault follows the error
    code (`fault_of`)."""


class QueryEnded(AwsError):
    """A Logs Insights query ended without completing (`query_ended`)."""

    fault = Fault.TRANSIENT


class UnexpectedAnswer(AwsError):
    """An answer that breaks what was asked (an event without a field every event has, a Logs Insights answer that
    is not what the query asks for): nothing of it is delivered."""


class UnreadableMillisecond(AwsError):
    """One millisecond holds more events than Logs Insights queries can read (insights_events.py)."""


class Action(StrEnum):
    """What the connector was doing, named as the IAM action a user grants (or the step that failed)."""

    DESCRIBE_LOG_GROUPS = "logs:DescribeLogGroups"
    LIST_LOG_GROUPS = "logs:ListLogGroups"
    FILTER_LOG_EVENTS = "logs:FilterLogEvents"
    START_QUERY = "logs:StartQuery"
    GET_QUERY_RESULTS = "logs:GetQueryResults"
    ASSUME_ROLE = "sts:AssumeRole"
    CONNECT = "connecting to AWS"  # building the session and client: no call was made yet


@dataclass(frozen=True)
class Failure:
    """Where an AWS call failed: what was asked, where, and for which stream and log group (if any)."""

    action: Action
    region: str
    endpoint: str
    stream: str | None = None
    log_group: str | None = None
    field: str | None = None  # the setting whose value was sent, when the call carried one the user chose


Explain = Callable[[str, str, Failure], str]  # (code, AWS's message, where) -> what the user reads


def _rejected_credentials(code: str, message: str, failure: Failure) -> str:
    return (
        f"AWS rejected the credentials ({code}: {message}). Check aws_access_key_id, aws_secret_access_key and "
        "aws_session_token."
    )


def _permission_denied(code: str, message: str, failure: Failure) -> str:
    return f"Permission denied: the credentials are not allowed {failure.action} ({message}). Grant {failure.action}."


def _not_found(code: str, message: str, failure: Failure) -> str:
    if failure.log_group is not None:
        return (
            f"log group '{failure.log_group}' no longer exists (deleted after discovery?). Refresh the source schema."
        )
    return f"{message} ({failure.action})"


def _generic(code: str, message: str, failure: Failure) -> str:
    return f"{failure.action} failed with {code}: {message}"


def _rejected_parameter(code: str, message: str, failure: Failure) -> str:
    if failure.field is None:
        return _generic(code, message, failure)
    return f"AWS rejected `{failure.field}` ({code}: {message}). Fix `{failure.field}` and run check again."


def _malformed_query(code: str, message: str, failure: Failure) -> str:
    """A query from the configuration (`failure.field`) is the user's to fix; the connector's own (an Infrequent
    Access group's window query) is not."""
    if failure.field:
        where = f"`{failure.field}`"
        return f"Logs Insights cannot compile {where} ({message}). Fix {where} and run check again."
    of = f" of log group '{failure.log_group}'" if failure.log_group else ""
    return (
        f"Logs Insights cannot compile the connector's own query{of} ({message}). It is not a query from the "
        "configuration, so there is nothing in it to fix: check that endpoint_url, if set, is a CloudWatch Logs "
        "endpoint with Logs Insights, and otherwise report this message to the connector's maintainers."
    )


def _busy(code: str, message: str, failure: Failure) -> str:
    return (
        f"Logs Insights refused more queries for long ({message}): dashboards, scheduled queries and other tools "
        "of the account use its concurrent queries (fewer still for Infrequent Access log groups). Lower "
        "max_concurrent_queries or sync when fewer queries run; the next attempt resumes from the state."
    )


CREDENTIAL_ERROR_CODES = (
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "InvalidClientTokenId",
    "SignatureDoesNotMatch",
    "ExpiredTokenException",
    "ExpiredToken",
    "IncompleteSignature",
)

# CloudWatch Logs error codes: fault and explanation. A code not listed is transient.
LOGS_ERRORS: dict[str, tuple[Fault, Explain]] = {
    **{code: (Fault.CONFIG, _rejected_credentials) for code in CREDENTIAL_ERROR_CODES},
    "AccessDeniedException": (Fault.CONFIG, _permission_denied),
    "AccessDenied": (Fault.CONFIG, _permission_denied),
    "ResourceNotFoundException": (Fault.CONFIG, _not_found),
    "InvalidOperationException": (Fault.CONFIG, _generic),
    "MalformedQueryException": (Fault.CONFIG, _malformed_query),
    "LimitExceededException": (Fault.TRANSIENT, _busy),
    # A validation error is the user's when the call carried a value they chose (`Failure.field`), else transient.
    "InvalidParameterException": (Fault.TRANSIENT, _rejected_parameter),
}

# sts:AssumeRole failures the user must fix: trust policy / ExternalId, duration or ARN, base keys, STS region.
MAX_SESSION_DURATION_MESSAGE = "DurationSeconds exceeds the MaxSessionDuration"
ROLE_CHAINING_MESSAGE = "session limit for roles assumed by role chaining"
ASSUME_ROLE_CONFIG_ERROR_CODES = (
    *CREDENTIAL_ERROR_CODES,
    "AccessDenied",
    "AccessDeniedException",
    "ValidationError",
    "MalformedPolicyDocument",
    "RegionDisabledException",
)


def error_code(error: BaseException) -> str | None:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "") or None
    return None


def _aws_message(error: ClientError) -> str:
    """AWS's message, or what the answer was when it was not an AWS error: botocore passes the body of an answer
    it cannot parse (a proxy's or a test server's HTML error page) as the message, many lines the user cannot use."""
    message = str(error.response.get("Error", {}).get("Message") or error)
    if message.lstrip().startswith("<"):
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        answered = f"HTTP {status}" if status else "an answer"
        return f"the endpoint answered {answered} with a page that is not an AWS error (a proxy's or server's own page)"
    return message


def is_assume_role_error(error: BaseException) -> bool:
    return isinstance(error, ClientError) and error.operation_name == "AssumeRole"


def fault_of(error: BaseException, failure: Failure | None = None) -> Fault:
    """CONFIG when the user must change something (keys, role, permissions, names), else transient (SYSTEM for
    the connector's own query that Logs Insights cannot compile)."""
    code = error_code(error)
    if code == "InvalidParameterException" and failure is not None and failure.field is not None:
        return Fault.CONFIG
    if code == "MalformedQueryException" and failure is not None and failure.field is None:
        return Fault.SYSTEM  # the connector's own query: nothing in the configuration to change
    if is_assume_role_error(error):
        return Fault.CONFIG if code in ASSUME_ROLE_CONFIG_ERROR_CODES else Fault.TRANSIENT
    if isinstance(error, NoCredentialsError | EndpointConnectionError | ProfileNotFound):
        return Fault.CONFIG
    if code in LOGS_ERRORS:
        return LOGS_ERRORS[code][0]
    return Fault.TRANSIENT


def explain_assume_role(error: ClientError) -> str:
    """What went wrong with sts:AssumeRole, naming the role, and what to change."""
    code = error_code(error)
    message = _aws_message(error)
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


def explain(error: BaseException, failure: Failure) -> str:
    """A message a user can act on, for an AWS failure of `failure.action`.

    With role_arn set, the first call of any action assumes the role first: its failures are explained as such.
    """
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
        if failed and not failed.startswith(failure.endpoint.rstrip("/")):  # not CloudWatch Logs: STS
            return (
                f"Could not reach AWS STS at {failed} to assume role_arn: check that region_name "
                f"('{failure.region}') is a real AWS region in which STS is reachable, and sts_endpoint_url, if set."
            )
        return (
            f"Could not reach CloudWatch Logs at {failure.endpoint}: check that region_name "
            f"('{failure.region}') is a real AWS region and endpoint_url, if set, is reachable."
        )
    if isinstance(error, ReadTimeoutError):
        failed = str(error.kwargs.get("endpoint_url") or failure.endpoint)
        setting = "endpoint_url" if failed.startswith(failure.endpoint.rstrip("/")) else "sts_endpoint_url"
        return (
            f"{failure.action} failed: {error}: the endpoint accepted the connection but sent no answer in time. "
            f"Check that {setting}, if set, is an AWS endpoint (or a VPC endpoint or proxy that forwards to one) "
            "that answers, and that no firewall or proxy on the way holds connections open."
        )
    if isinstance(error, ClientError):
        if is_assume_role_error(error):
            return explain_assume_role(error)
        code = error_code(error) or "an unknown error"
        _, explain_code = LOGS_ERRORS.get(code, (Fault.TRANSIENT, _generic))
        return explain_code(code, _aws_message(error), failure)
    if isinstance(error, BotoCoreError):
        return f"{failure.action} failed: {error}"
    return f"{failure.action} failed: {type(error).__name__}"


def aws_failure(error: BaseException, failure: Failure) -> CallFailed:
    """This layer's error for an AWS/botocore exception: the user's message (naming the stream, if any) and fault."""
    message = explain(error, failure)
    if failure.stream is not None:
        message = f"Stream '{failure.stream}': {message}"
    return CallFailed(
        message,
        internal_message=f"{failure.action}: {type(error).__name__} {error_code(error) or ''}".rstrip(),
        fault=fault_of(error, failure),
    )


def query_ended(status: str, failure: Failure) -> QueryEnded:
    """A Logs Insights query that ended without completing (Failed, Cancelled by someone else, Timeout after 60
    minutes, Unknown): transient, the sync's next attempt reads the window again."""
    where = f"Stream '{failure.stream}': " if failure.stream else ""
    hint = (
        " Queries time out after 60 minutes: lower the data per window with a narrower query."
        if status == "Timeout"
        else ""
    )
    return QueryEnded(
        f"{where}a Logs Insights query of log group '{failure.log_group}' ended with status {status}.{hint}",
        internal_message=f"{failure.action}: query status {status}",
    )
