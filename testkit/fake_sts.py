"""The fake's STS, and AWS's checks of credentials on every call (logs calls included).

moto's STS issues credentials for any AssumeRole call and never checks one. This adds, driven by the
:class:`~testkit.faults.FaultPlan`:

* AssumeRole checked the way IAM checks it: a trust policy that does not trust the caller, or requires an
  ``ExternalId`` the call does not carry, answers AccessDenied; a ``DurationSeconds`` above the role's
  MaxSessionDuration answers ValidationError;
* an ``Expiration`` computed from the fake's ``clock`` (optionally only seconds ahead, whatever
  DurationSeconds says), and the credentials it issued enforced on every later call: expired ones, or a
  session token that does not belong to the key, are refused as AWS refuses them;
* unknown access keys and wrong secret keys (bad signatures), simulated per access key.

Each refusal is counted in ``rejections`` by its STS error code (ExpiredToken also counts logs calls answered
ExpiredTokenException).
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from wsgiref.types import StartResponse, WSGIEnvironment
from xml.sax.saxutils import escape

from testkit.aws_http import account_id, aws_json, credential_scope, respond, status_line
from testkit.faults import FaultPlan

INVALID_TOKEN_ID_MESSAGE = "The security token included in the request is invalid."
EXPIRED_TOKEN_MESSAGE = "The security token included in the request is expired"
BAD_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
    "Key and signing method. Consult the service documentation for details."
)
MAX_SESSION_MESSAGE = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."

CredentialProblem = Literal["invalid", "signature", "expired"]
# (STS code, STS status, logs code, message): how each service names a credential problem.
_CREDENTIAL_ERRORS: dict[CredentialProblem, tuple[str, int, str, str]] = {
    "invalid": ("InvalidClientTokenId", 403, "UnrecognizedClientException", INVALID_TOKEN_ID_MESSAGE),
    "signature": ("SignatureDoesNotMatch", 403, "InvalidSignatureException", BAD_SIGNATURE_MESSAGE),
    "expired": ("ExpiredToken", 400, "ExpiredTokenException", EXPIRED_TOKEN_MESSAGE),
}
_CREDENTIAL_CODES = {sts_code for sts_code, _, _, _ in _CREDENTIAL_ERRORS.values()}

# What moto answers for a forwarded request: (status line, headers, body).
Forwarded = tuple[str, list[tuple[str, str]], bytes]


@dataclass(frozen=True)
class IssuedCredentials:
    """Credentials the fake's STS handed out."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime
    role_arn: str
    session_name: str
    issued_to: str
    """The access key id that signed the AssumeRole request."""


def utc_now() -> datetime:
    return datetime.now(UTC)


class FakeSts:
    """What STS issued and refused, and the clock that dates issued credentials and decides when they expire.

    ``issued_credentials`` is always kept (the expiry of each is enforced); ``clock`` is the real UTC time
    unless a test sets another.
    """

    def __init__(self) -> None:
        self.issued_credentials: list[IssuedCredentials] = []
        self.rejections: Counter[str] = Counter()
        self.clock: Callable[[], datetime] = utc_now
        self._issued: dict[str, IssuedCredentials] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget issued credentials and rejections; the clock is the real one again."""
        with self._lock:
            self.issued_credentials.clear()
            self._issued.clear()
            self.rejections.clear()
            self.clock = utc_now

    def credential_problem(self, environ: WSGIEnvironment, plan: FaultPlan) -> CredentialProblem | None:
        """Why AWS would refuse the request's credentials, or None (counted in ``rejections``)."""
        access_key, _ = credential_scope(environ)
        if not access_key:
            return None
        problem: CredentialProblem | None = None
        if access_key in plan.invalid_access_keys:
            problem = "invalid"
        elif access_key in plan.bad_signature_keys:
            problem = "signature"
        else:
            with self._lock:
                issued = self._issued.get(access_key)
            if issued is not None:
                if environ.get("HTTP_X_AMZ_SECURITY_TOKEN") != issued.session_token:
                    problem = "invalid"  # a key signed with another session's token: AWS knows no such pair
                elif self.clock() >= issued.expiration:
                    problem = "expired"
        if problem is not None:
            with self._lock:
                self.rejections[_CREDENTIAL_ERRORS[problem][0]] += 1
        return problem

    @staticmethod
    def refuse_logs_call(start_response: StartResponse, problem: CredentialProblem) -> list[bytes]:
        """CloudWatch Logs' answer to refused credentials (JSON protocol)."""
        _, _, code, message = _CREDENTIAL_ERRORS[problem]
        return aws_json(start_response, 400, {"__type": code, "message": message})

    def refuse_sts_call(self, start_response: StartResponse, problem: CredentialProblem) -> list[bytes]:
        """STS's answer to refused credentials (query protocol, XML)."""
        code, status, _, message = _CREDENTIAL_ERRORS[problem]
        return self.error(start_response, status, code, message)

    def error(self, start_response: StartResponse, status: int, code: str, message: str) -> list[bytes]:
        """An STS error answer; AssumeRole refusals (not credential ones, already counted) count in rejections."""
        if code not in _CREDENTIAL_CODES:
            with self._lock:
                self.rejections[code] += 1
        data = (
            '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type>'
            f"<Code>{code}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
        ).encode()
        start_response(status_line(status), [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))])
        return [data]

    def assume_role(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        params: dict[str, Any],
        plan: FaultPlan,
        forward: Callable[[WSGIEnvironment], Forwarded],
    ) -> list[bytes]:
        """IAM's checks, then moto's answer (from `forward`) with the fake's Expiration; the credentials are
        remembered."""
        access_key, _ = credential_scope(environ)
        account = account_id(environ, access_key)
        role = str(params.get("RoleArn", ""))
        caller = f"arn:aws:iam::{account}:user/test"
        required_external_id = plan.role_external_ids.get(role)
        if role in plan.untrusted_roles or (
            required_external_id is not None and params.get("ExternalId") != required_external_id
        ):
            message = f"User: {caller} is not authorized to perform: sts:AssumeRole on resource: {role}"
            return self.error(start_response, 403, "AccessDenied", message)
        duration = int(params.get("DurationSeconds") or 3600)
        maximum = plan.role_max_session_s.get(role)
        if maximum is not None and duration > maximum:
            return self.error(start_response, 400, "ValidationError", MAX_SESSION_MESSAGE)

        status, headers, data = forward(environ)
        if status.startswith("200"):
            text = data.decode()
            lifetime = plan.assume_role_expiry_s
            expiration = self.clock() + timedelta(seconds=duration if lifetime is None else lifetime)
            stamp = expiration.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            text = re.sub(r"<Expiration>[^<]*</Expiration>", f"<Expiration>{stamp}</Expiration>", text)

            def element(tag: str) -> str:
                found = re.search(f"<{tag}>([^<]*)</{tag}>", text)
                return found.group(1) if found else ""

            issued = IssuedCredentials(
                access_key_id=element("AccessKeyId"),
                secret_access_key=element("SecretAccessKey"),
                session_token=element("SessionToken"),
                expiration=expiration,
                role_arn=role,
                session_name=str(params.get("RoleSessionName", "")),
                issued_to=access_key,
            )
            with self._lock:
                self.issued_credentials.append(issued)
                self._issued[issued.access_key_id] = issued
            data = text.encode()
        return respond(start_response, status, headers, data)
