"""Log lines parsed into columns, on samples of the documented formats (../shared/reference/aws-log-formats.md)
and on lines that are not what they seem."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import orjson
import pytest

from source_cloudwatch_logs.formats import (
    AUTO,
    JSON,
    RAW,
    MessageParser,
    Parsing,
    columns,
    vpc_fields,
)
from source_cloudwatch_logs.records import record_schema

VPC = [
    "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.1.25 10.0.2.40 49152 443 6 12 3480 1796032800 1796032859 ACCEPT OK",
    "2 123456789012 eni-0a1b2c3d4e5f60718 198.51.100.7 10.0.1.25 53211 22 6 1 40 1796032800 1796032859 REJECT OK",
    "2 123456789012 eni-0a1b2c3d4e5f60718 - - - - - - - 1796032920 1796032980 - NODATA",
]
CUSTOM_FORMAT = (
    "${version} ${vpc-id} ${instance-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} "
    "${tcp-flags} ${packets} ${bytes} ${start} ${end} ${action} ${flow-direction} ${traffic-path} "
    "${pkt-dst-aws-service} ${log-status}"
)
CUSTOM = (
    "5 vpc-0123456789abcdef0 i-0123456789abcdef2 eni-0a1b2c3d4e5f60718 10.0.1.25 52.216.10.20 40312 443 6 19 9 "
    "1520 1796032800 1796032859 ACCEPT egress 8 S3 OK"
)
START = "START RequestId: 6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b Version: $LATEST"
END = "END RequestId: 6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"
REPORT = (
    "REPORT RequestId: 6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b\tDuration: 182.44 ms\tBilled Duration: 183 ms\t"
    "Memory Size: 512 MB\tMax Memory Used: 91 MB\tInit Duration: 402.17 ms\t"
)
TIMEOUT = (
    "REPORT RequestId: 0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"
    "Memory Size: 128 MB\tMax Memory Used: 64 MB\tStatus: timeout"
)
LAMBDA_JSON_REPORT = (
    '{"time":"2026-11-30T10:00:00.197Z","type":"platform.report","record":{"requestId":"6f1c2a9e-3b4d-4e5f-8a7b-'
    '9c0d1e2f3a4b","metrics":{"durationMs":182.44,"billedDurationMs":183,"memorySizeMB":512,"maxMemoryUsedMB":91,'
    '"initDurationMs":402.17},"status":"success"}}'
)
APIGW = (
    '{ "requestId":"Bq3xYhGkoAMEVxQ=", "ip": "203.0.113.24", "requestTime":"30/Nov/2026:10:00:00 +0000", '
    '"httpMethod":"GET","routeKey":"GET /orders/{id}", "status":"200","protocol":"HTTP/1.1", "responseLength":"512" }'
)


CLOUDTRAIL = (
    '{"eventVersion":"1.11","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::123456789012:user/deploy",'
    '"accountId":"123456789012"},"eventTime":"2026-11-30T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":'
    '"CreateBucket","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.24","userAgent":"aws-cli/2.22.0",'
    '"requestParameters":{"bucketName":"orders"},"responseElements":null,"requestID":"4QXJ8E7K2M1N5P0R","eventID":'
    '"0b6f3c2a-1d4e-4f5a-9b8c-7d6e5f4a3b2c","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,'
    '"recipientAccountId":"123456789012","eventCategory":"Management"}'
)


def auto(message: str, flow_log_format: str | None = None) -> dict[str, Any] | None:
    return MessageParser(AUTO, flow_log_format).parse(message)


def without_json(row: dict[str, Any] | None) -> dict[str, Any]:
    assert row is not None
    return {key: value for key, value in row.items() if key != "message_json"}


def test_vpc_flow_logs_in_the_default_format() -> None:
    assert auto(VPC[0]) == {
        "message_kind": "vpc_flow_log",
        "vpc_version": 2,
        "vpc_account_id": "123456789012",
        "vpc_interface_id": "eni-0a1b2c3d4e5f60718",
        "vpc_srcaddr": "10.0.1.25",
        "vpc_dstaddr": "10.0.2.40",
        "vpc_srcport": 49152,
        "vpc_dstport": 443,
        "vpc_protocol": 6,
        "vpc_packets": 12,
        "vpc_bytes": 3480,
        "vpc_start": 1796032800,
        "vpc_end": 1796032859,
        "vpc_action": "ACCEPT",
        "vpc_log_status": "OK",
    }
    nodata = auto(VPC[2])
    assert nodata is not None
    assert [nodata[c] for c in ("vpc_srcaddr", "vpc_srcport", "vpc_packets", "vpc_action", "vpc_log_status")] == [
        None,
        None,
        None,
        None,
        "NODATA",
    ]


def test_vpc_flow_logs_in_a_custom_format() -> None:
    row = auto(CUSTOM, CUSTOM_FORMAT)
    assert row is not None
    assert (row["vpc_vpc_id"], row["vpc_tcp_flags"], row["vpc_flow_direction"], row["vpc_traffic_path"]) == (
        "vpc-0123456789abcdef0",
        19,
        "egress",
        8,
    )
    assert row["vpc_pkt_dst_aws_service"] == "S3" and row["vpc_bytes"] == 1520
    assert auto(CUSTOM) is None  # 19 values are not the default format's 14
    assert vpc_fields(CUSTOM_FORMAT)[:3] == ("version", "vpc-id", "instance-id")


def test_lambda_start_end_and_report_lines() -> None:
    assert auto(START) == {
        "message_kind": "lambda_start",
        "lambda_request_id": "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b",
        "lambda_version": "$LATEST",
    }
    assert auto(END) == {"message_kind": "lambda_end", "lambda_request_id": "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b"}
    assert auto(REPORT) == {
        "message_kind": "lambda_report",
        "lambda_request_id": "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b",
        "lambda_duration_ms": 182.44,
        "lambda_billed_duration_ms": 183,
        "lambda_memory_size_mb": 512,
        "lambda_max_memory_used_mb": 91,
        "lambda_init_duration_ms": 402.17,
    }
    timeout = auto(TIMEOUT)
    assert timeout is not None and timeout["lambda_status"] == "timeout" and "lambda_init_duration_ms" not in timeout
    xray = REPORT + "\nXRAY TraceId: 1-5e1b2c3d-0123456789abcdef01234567\tSegmentId: 0123456789abcdef\tSampled: true\t"
    assert auto(xray) == auto(REPORT)


def test_lambda_json_report_events_fill_the_same_columns() -> None:
    row = without_json(auto(LAMBDA_JSON_REPORT))
    assert row == {
        "message_kind": "lambda_report",
        "lambda_request_id": "6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b",
        "lambda_status": "success",
        "lambda_duration_ms": 182.44,
        "lambda_billed_duration_ms": 183,
        "lambda_memory_size_mb": 512,
        "lambda_max_memory_used_mb": 91,
        "lambda_init_duration_ms": 402.17,
    }


def test_cloudtrail_events_are_json_objects_kept_whole() -> None:
    assert auto(CLOUDTRAIL) == {"message_json": json.loads(CLOUDTRAIL), "message_kind": "json"}
    assert MessageParser(JSON).parse(CLOUDTRAIL) == {"message_json": json.loads(CLOUDTRAIL)}


def test_api_gateway_access_logs_get_typed_columns_from_the_quoted_presets() -> None:
    row = auto(APIGW)
    assert row is not None and row["message_json"] == json.loads(APIGW)
    assert without_json(row) == {
        "message_kind": "api_gateway_access_log",
        "apigw_request_id": "Bq3xYhGkoAMEVxQ=",
        "apigw_ip": "203.0.113.24",
        "apigw_request_time": "30/Nov/2026:10:00:00 +0000",
        "apigw_http_method": "GET",
        "apigw_route_key": "GET /orders/{id}",
        "apigw_status": 200,
        "apigw_protocol": "HTTP/1.1",
        "apigw_response_length": 512,
    }
    dashes = auto('{"httpMethod": "GET", "status": "-", "responseLength": "-", "ip": "-"}')
    assert dashes is not None and "apigw_status" not in dashes and "apigw_ip" not in dashes


@pytest.mark.parametrize(
    "message",
    [
        "[1, 2, 3]",  # a JSON array
        '"just a string"',  # a JSON scalar
        "42",
        "null",
        '{"unterminated": ',
        "{not json}",
        "",
        "plain text with { a brace",
        "2 123456789012 eni-1 10.0.1.25 10.0.2.40 x 443 6 12 3480 1796032800 1796032859 ACCEPT OK",  # a port `x`
        "v2 123456789012 eni-1 10.0.1.25 10.0.2.40 1 443 6 12 3480 1796032800 1796032859 ACCEPT OK",
        "REPORT RequestId: r\tDuration: fast ms",
        "START RequestId:",
    ],
)
def test_lines_that_are_not_what_they_seem_are_left_unparsed(message: str) -> None:
    assert MessageParser(JSON).parse(message) is None
    assert auto(message) is None


def test_json_keeps_objects_whole_deeply_nested_and_unicode() -> None:
    deep: dict[str, Any] = {"leaf": "ü 日本 🚀"}
    for level in range(60):
        deep = {f"l{level}": deep, "list": [1, {"x": None}]}
    message = json.dumps(deep, ensure_ascii=False)
    assert MessageParser(JSON).parse(message) == {"message_json": deep}
    assert MessageParser(JSON).parse("  " + json.dumps({"a": "\u00e9"})) == {"message_json": {"a": "é"}}
    assert MessageParser(JSON).parse(START) is None  # json does not look for the text formats


def test_raw_adds_nothing_and_parses_nothing() -> None:
    assert columns(RAW) == {}
    assert Parsing().parser() is None


def test_the_declared_schema_holds_every_parsed_record() -> None:
    schema = record_schema(None, columns(AUTO))
    base = {
        "eventId": "1",
        "timestamp": 1,
        "event_time": "2026-11-30T10:00:00.000Z",
        "logStreamName": "s",
        "logGroupName": "g",
        "awsRegion": "us-east-1",
    }
    for message in [*VPC, START, END, REPORT, TIMEOUT, LAMBDA_JSON_REPORT, APIGW, CLOUDTRAIL, '{"a": 1}']:
        record = {**base, "message": message, **(auto(message) or {})}
        jsonschema.validate(record, schema)
        assert set(record) <= set(schema["properties"]), message
    assert set(columns(JSON)) == {"message_json"}


def test_fragments_write_the_message_itself_and_never_a_line_break() -> None:
    parser = MessageParser(JSON, fragments=True)
    row = parser.parse('{"a": 1, "b": "ü"}')
    assert row is not None and isinstance(row["message_json"], orjson.Fragment)
    assert orjson.loads(orjson.dumps(row)) == {"message_json": {"a": 1, "b": "ü"}}
    multi_line = parser.parse('{\n  "a": 1\n}\n')
    assert multi_line == {"message_json": {"a": 1}}  # a line break would end the RECORD line: parsed instead
    assert b"\n" not in orjson.dumps(multi_line)
    assert MessageParser(AUTO, fragments=True).parse(APIGW) is not None


def test_non_scalar_values_in_string_columns_are_json_text() -> None:
    """Issue 20 item 12: a list or object where a string column is expected is written as JSON text."""
    row = auto('{"httpMethod": ["GET"], "status": 200, "ip": {"v4": "203.0.113.24"}, "user": true, "caller": 7}')
    assert row is not None
    assert (row["apigw_http_method"], row["apigw_ip"], row["apigw_user"], row["apigw_caller"]) == (
        '["GET"]',
        '{"v4":"203.0.113.24"}',
        "true",
        "7",
    )
    report = auto('{"type": "platform.report", "record": {"requestId": ["r"], "status": {"s": 1}, "metrics": {}}}')
    assert report is not None and (report["lambda_request_id"], report["lambda_status"]) == ('["r"]', '{"s":1}')


def test_a_query_report_row_without_a_message_is_left_unparsed() -> None:
    """A report query need not ask for @message: its records have no `message` to parse."""
    row: dict[str, Any] = {"timestamp": 1, "level": "x"}
    assert MessageParser(JSON).parse_into(row) is False
    assert MessageParser("auto").parse_into(row) is False
    assert row == {"timestamp": 1, "level": "x"}


def test_a_json_message_with_a_line_break_is_serialised_again_in_every_format() -> None:
    """Written as is, a `\\r` or `\\n` between its tokens would split the record's line for a reader that splits
    on either (Java's readLine, Python's universal newlines)."""
    for message_format in ("json", "auto"):
        parser = MessageParser(message_format, fragments=True)
        for message, whole in (('{"a": 1}', True), ('{"a":\r1}', False), ('{"a":\n1}', False)):
            event: dict[str, Any] = {"message": message}
            assert parser.parse_into(event)
            assert isinstance(event["message_json"], orjson.Fragment) is whole, (message_format, message)
            assert whole or event["message_json"] == {"a": 1}
