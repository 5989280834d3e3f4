"""AWS's wire format, as the fakes speak it: JSON error answers, SigV4 credential scopes, request bodies."""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import uuid
from typing import Any
from wsgiref.types import StartResponse, WSGIEnvironment

from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.models import get_account_id_from

from testkit.seeding import REGION

AMZ_JSON = "application/x-amz-json-1.1"
_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error", 503: "Service Unavailable"}


class AwsError(Exception):
    """An AWS-shaped JSON error answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def invalid_parameter(message: str) -> AwsError:
    return AwsError(400, "InvalidParameterException", message)


def status_line(status: int) -> str:
    return f"{status} {_REASONS.get(status, 'Error')}"


def aws_json(start_response: StartResponse, status: int, body: dict[str, Any]) -> list[bytes]:
    """Answer with an AWS JSON-protocol body (an error when it has `__type`)."""
    data = json.dumps(body).encode()
    start_response(
        status_line(status),
        [("Content-Type", AMZ_JSON), ("Content-Length", str(len(data))), ("x-amzn-RequestId", str(uuid.uuid4()))],
    )
    return [data]


def aws_error(start_response: StartResponse, error: AwsError) -> list[bytes]:
    return aws_json(start_response, error.status, {"__type": error.code, "message": error.message})


def credential_scope(environ: WSGIEnvironment) -> tuple[str, str]:
    """(access key, region) from a SigV4 Authorization header; ("", REGION) when absent."""
    match = re.search(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    if match is None:
        return "", REGION
    return match.group(1), match.group(2)


def account_id(environ: WSGIEnvironment, access_key: str) -> str:
    """The moto account a request belongs to, resolved the way moto resolves it."""
    if "MOTO_ACCOUNT_ID" in os.environ:
        return os.environ["MOTO_ACCOUNT_ID"]
    if "HTTP_X_MOTO_ACCOUNT_ID" in environ:
        return str(environ["HTTP_X_MOTO_ACCOUNT_ID"])
    return get_account_id_from(access_key) if access_key else DEFAULT_ACCOUNT_ID


def read_body(environ: WSGIEnvironment) -> bytes:
    """Read the request body and put it back so that moto can read it again."""
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        body: bytes = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


def parse_json_body(environ: WSGIEnvironment, body: bytes) -> dict[str, Any]:
    if environ.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
        body = gzip.decompress(body)
    try:
        parsed = json.loads(body) if body.strip() else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def respond(start_response: StartResponse, status: str, headers: list[tuple[str, str]], data: bytes) -> list[bytes]:
    """Answer with `data` and the given headers, Content-Length recomputed (for a forwarded answer that changed)."""
    kept = [(name, value) for name, value in headers if name.lower() != "content-length"]
    start_response(status, [*kept, ("Content-Length", str(len(data)))])
    return [data]
