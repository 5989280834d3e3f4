"""Log lines parsed into columns (`message_format`), next to the raw `message`, which is always kept.

- `raw`: nothing added.
- `json`: `message_json`, the line as an object when it is a JSON object (else null: arrays, scalars, text).
- `auto`: `message_json` for JSON objects, and typed columns for the documented AWS formats
  (Amazon VPC User Guide, "Flow log records"; AWS Lambda Developer Guide, "Lambda function logs" and the
  Telemetry API's `platform.report`; API Gateway Developer Guide, "CloudWatch log formats"): VPC flow logs (the default version 2 format, or a custom format
  given as its `${field}` list), Lambda `START` / `END` / `REPORT` lines and Lambda's JSON `platform.report`
  events, and API Gateway access logs in the JSON presets (REST and HTTP APIs). `message_kind` says which.

Each line is parsed once, with orjson; a line that matches no format only leaves the added columns out (null).
Records written a page at a time (batches.py) carry `message_json` as the message's own, checked, text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

_loads, _Fragment = orjson.loads, orjson.Fragment

RAW, JSON, AUTO = "raw", "json", "auto"
MESSAGE_FORMATS = (RAW, JSON, AUTO)
JSON_COLUMN = "message_json"
KIND_COLUMN = "message_kind"

VPC_DEFAULT_FORMAT = (
    "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} "
    "${bytes} ${start} ${end} ${action} ${log-status}"
)
# VPC flow log fields whose values are numbers (the rest are strings); `-` is null.
VPC_INTEGER_FIELDS = frozenset(
    {"version", "srcport", "dstport", "protocol", "packets", "bytes", "start", "end", "tcp-flags", "traffic-path"}
)
VPC_KIND = "vpc_flow_log"

LAMBDA_COLUMNS: dict[str, str] = {
    "lambda_request_id": "string",
    "lambda_version": "string",
    "lambda_duration_ms": "number",
    "lambda_billed_duration_ms": "integer",
    "lambda_memory_size_mb": "integer",
    "lambda_max_memory_used_mb": "integer",
    "lambda_init_duration_ms": "number",
    "lambda_status": "string",
}
# REPORT line labels -> (column, type)
_REPORT_LABELS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "Duration": ("lambda_duration_ms", float),
    "Billed Duration": ("lambda_billed_duration_ms", int),
    "Memory Size": ("lambda_memory_size_mb", int),
    "Max Memory Used": ("lambda_max_memory_used_mb", int),
    "Init Duration": ("lambda_init_duration_ms", float),
    "Status": ("lambda_status", str),
}
_LAMBDA_METRICS = {
    "durationMs": "lambda_duration_ms",
    "billedDurationMs": "lambda_billed_duration_ms",
    "memorySizeMB": "lambda_memory_size_mb",
    "maxMemoryUsedMB": "lambda_max_memory_used_mb",
    "initDurationMs": "lambda_init_duration_ms",
}
_START = re.compile(r"START RequestId: (\S+)(?: Version: (\S+))?")
_END = re.compile(r"END RequestId: (\S+)")

# API Gateway access logs, JSON presets: key -> (column, type)
APIGW_KEYS: dict[str, tuple[str, str]] = {
    "requestId": ("apigw_request_id", "string"),
    "ip": ("apigw_ip", "string"),
    "caller": ("apigw_caller", "string"),
    "user": ("apigw_user", "string"),
    "requestTime": ("apigw_request_time", "string"),
    "httpMethod": ("apigw_http_method", "string"),
    "resourcePath": ("apigw_resource_path", "string"),
    "path": ("apigw_path", "string"),
    "routeKey": ("apigw_route_key", "string"),
    "status": ("apigw_status", "integer"),
    "protocol": ("apigw_protocol", "string"),
    "responseLength": ("apigw_response_length", "integer"),
}
APIGW_KIND = "api_gateway_access_log"


@dataclass(frozen=True)
class Parsing:
    """How a stream parses its messages: `message_format` and, for `auto`, the VPC flow log format."""

    message_format: str = RAW
    flow_log_format: str | None = None

    @property
    def columns(self) -> dict[str, dict[str, Any]]:
        return columns(self.message_format, self.flow_log_format)

    def parser(self, *, fragments: bool = False) -> MessageParser | None:
        if self.message_format == RAW:
            return None
        return MessageParser(self.message_format, self.flow_log_format, fragments=fragments)


RAW_MESSAGES = Parsing()


# The fields of VPC flow log records, versions 2 to 8 (Amazon VPC user guide, "Flow log records": "Available
# fields"), and the two listed after version 8.
VPC_KNOWN_FIELDS = frozenset(
    [
        "version",
        "account-id",
        "interface-id",
        "srcaddr",
        "dstaddr",
        "srcport",
        "dstport",
        "protocol",
        "packets",
        "bytes",
        "start",
        "end",
        "action",
        "log-status",
        "vpc-id",
        "subnet-id",
        "instance-id",
        "tcp-flags",
        "type",
        "pkt-srcaddr",
        "pkt-dstaddr",
        "region",
        "az-id",
        "sublocation-type",
        "sublocation-id",
        "pkt-src-aws-service",
        "pkt-dst-aws-service",
        "flow-direction",
        "traffic-path",
        "ecs-cluster-arn",
        "ecs-cluster-name",
        "ecs-container-instance-arn",
        "ecs-container-instance-id",
        "ecs-container-id",
        "ecs-second-container-id",
        "ecs-service-name",
        "ecs-task-definition-arn",
        "ecs-task-arn",
        "ecs-task-id",
        "reject-reason",
        "resource-id",
        "encryption-status",
    ]
)


def vpc_fields(flow_log_format: str | None) -> tuple[str, ...]:
    """The field names of a flow log format (`${version} ${srcaddr} ...`); the default format without one.

    A custom format is `${field}` tokens separated by spaces, nothing else, each a field flow logs have: anything
    else would shift every value into the wrong column. The error names the token's position, not its text."""
    tokens = (flow_log_format or VPC_DEFAULT_FORMAT).split()
    if not tokens:
        raise ValueError("has no ${field} in it; copy the flow log's format, e.g. '${version} ${srcaddr} ...'")
    fields = []
    for position, token in enumerate(tokens, start=1):
        match = re.fullmatch(r"\$\{([a-z0-9-]+)\}", token)
        if match is None or match.group(1) not in VPC_KNOWN_FIELDS:
            raise ValueError(
                f"has a token (number {position}) that is not a VPC flow log field such as ${{srcaddr}}; copy the "
                "flow log's format exactly, e.g. '${version} ${srcaddr} ...'"
            )
        fields.append(match.group(1))
    return tuple(fields)


def vpc_column(field: str) -> str:
    return "vpc_" + field.replace("-", "_")


def columns(message_format: str, flow_log_format: str | None = None) -> dict[str, dict[str, Any]]:
    """The schema properties a format adds."""
    if message_format == RAW:
        return {}
    added: dict[str, dict[str, Any]] = {
        JSON_COLUMN: {"type": ["null", "object"], "description": "The message, when it is a JSON object."}
    }
    if message_format == AUTO:
        added[KIND_COLUMN] = {"type": ["null", "string"], "description": "The format the message was parsed as."}
        for field in vpc_fields(flow_log_format):
            added[vpc_column(field)] = {"type": ["null", "integer" if field in VPC_INTEGER_FIELDS else "string"]}
        added.update({name: {"type": ["null", kind]} for name, kind in LAMBDA_COLUMNS.items()})
        added.update({name: {"type": ["null", kind]} for name, kind in APIGW_KEYS.values()})
    return added


def _one_line(message: str) -> bool:
    """Whether a JSON message can be written into a record's line as it is: a line break in it (whitespace
    between JSON tokens; inside strings JSON escapes them) would end the line early for a reader that splits on
    `\n` and also for one that splits on `\r` (Java's readLine, Python's universal newlines). Such a message is
    serialised again."""
    return "\n" not in message and "\r" not in message


class MessageParser:
    """Turns one message into the columns its format adds (`parse`); `None` when it adds none."""

    def __init__(self, message_format: str, flow_log_format: str | None = None, *, fragments: bool = False) -> None:
        """`fragments`: `message_json` is the message's own text, checked and written as is into the record's
        JSON (orjson.Fragment) instead of a parsed object serialised again: for records serialised with orjson
        (batches.py), where it halves the cost of `json`."""
        self.message_format = message_format
        self._fragments = fragments
        self._vpc_fields = vpc_fields(flow_log_format) if message_format == AUTO else ()
        self._vpc_columns = [(vpc_column(f), f in VPC_INTEGER_FIELDS) for f in self._vpc_fields]

    def parse_into(self, event: dict[str, Any]) -> bool:
        """Adds the columns the event's message parses into; False when it parses into none. `json` takes a
        shorter path (it runs once per event: the cost of this method is the cost of the format)."""
        message = event.get("message") or ""  # a query report need not ask for @message
        if self.message_format == JSON:
            if message[:1] != "{" and message.lstrip()[:1] != "{":
                return False
            try:
                document = _loads(message)
            except orjson.JSONDecodeError:
                return False
            if type(document) is not dict:
                return False
            event[JSON_COLUMN] = _Fragment(message) if self._fragments and _one_line(message) else document
            return True
        columns = self.parse(message)
        if columns is None:
            return False
        event.update(columns)
        return True

    def parse(self, message: str) -> dict[str, Any] | None:
        if message[:1] == "{" or message.lstrip()[:1] == "{":
            try:
                document = orjson.loads(message)
            except orjson.JSONDecodeError:
                return None
            if not isinstance(document, dict):
                return None
            value = orjson.Fragment(message) if self._fragments and _one_line(message) else document
            if self.message_format == JSON:
                return {JSON_COLUMN: value}
            row = _known_json(document)
            row[JSON_COLUMN] = value
            return row
        if self.message_format != AUTO:
            return None
        if message.startswith(("START RequestId: ", "END RequestId: ", "REPORT RequestId: ")):
            return _lambda_line(message)
        return self._vpc(message)

    def _vpc(self, message: str) -> dict[str, Any] | None:
        values = message.rstrip().split(" ")
        if len(values) != len(self._vpc_columns) or not values[0].isdigit():
            return None
        row: dict[str, Any] = {KIND_COLUMN: VPC_KIND}
        try:
            for (column, integer), value in zip(self._vpc_columns, values, strict=True):
                row[column] = None if value == "-" else int(value) if integer else value
        except ValueError:
            return None
        return row


def _known_json(document: dict[str, Any]) -> dict[str, Any]:
    row: dict[str, Any] = {JSON_COLUMN: document, KIND_COLUMN: "json"}
    if "httpMethod" in document and "status" in document:
        row[KIND_COLUMN] = APIGW_KIND
        for key, (column, kind) in APIGW_KEYS.items():
            value = document.get(key)
            if value is not None and value != "-":
                row[column] = _integer(value) if kind == "integer" else _text(value)
    elif document.get("type") == "platform.report" and isinstance(document.get("record"), Mapping):
        record = document["record"]
        row[KIND_COLUMN] = "lambda_report"
        row["lambda_request_id"] = _text(record.get("requestId"))
        row["lambda_status"] = _text(record.get("status"))
        metrics = record.get("metrics") if isinstance(record.get("metrics"), Mapping) else {}
        for key, column in _LAMBDA_METRICS.items():
            if metrics.get(key) is not None:
                row[column] = metrics[key]
    return row


def _lambda_line(message: str) -> dict[str, Any] | None:
    if message.startswith("START"):
        match = _START.match(message)
        if match is None:
            return None
        return {KIND_COLUMN: "lambda_start", "lambda_request_id": match.group(1), "lambda_version": match.group(2)}
    if message.startswith("END"):
        match = _END.match(message)
        return {KIND_COLUMN: "lambda_end", "lambda_request_id": match.group(1)} if match else None
    row: dict[str, Any] = {KIND_COLUMN: "lambda_report"}
    for part in message.split("\n", 1)[0].split("\t"):
        label, _, value = part.partition(": ")
        if label == "REPORT RequestId":
            row["lambda_request_id"] = value.strip()
        elif label in _REPORT_LABELS:
            column, cast = _REPORT_LABELS[label]
            try:
                row[column] = cast(value.split(" ", 1)[0] if cast is not str else value.strip())
            except ValueError:
                return None
    return row if "lambda_request_id" in row else None


def _text(value: Any) -> str | None:
    """A value for a string column: a string as it is, anything else (a list, an object, a number) as its JSON
    text, never Python's rendering of it (`['GET']`)."""
    if value is None or isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _integer(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
