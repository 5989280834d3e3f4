"""The config package: the Airbyte spec it renders (spec/ui.py), the config it accepts (spec/model.py), and a
clear message naming the field for every bad input (spec/errors.py)."""

from __future__ import annotations

from typing import Any

import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.aws.client import client_config
from source_cloudwatch_logs.aws.credentials import (
    make_session,
)
from source_cloudwatch_logs.aws.queries import REFUSED_COMMANDS
from source_cloudwatch_logs.spec import (
    CloudWatchLogsConfig,
    CustomLogReport,
    aws_settings,
    connection_specification,
    parse_config,
)
from unit_tests.conftest import BASE_CONFIG, ROLE

BASE = {"region_name": "us-east-1"}


def test_spec_renders_plain_types_secrets_and_order() -> None:
    spec = connection_specification()
    properties = spec["properties"]

    assert spec["required"] == ["region_name"]
    assert "$defs" not in spec and "anyOf" not in str(spec) and "$ref" not in str(spec)
    assert {name for name, field in properties.items() if field.get("airbyte_secret")} == {
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
    }
    report = properties["custom_log_reports"]["items"]
    for fields, model in ((properties, CloudWatchLogsConfig), (report["properties"], CustomLogReport)):
        assert list(fields) == list(model.model_fields)  # the UI shows the fields in the order the model declares
        assert [field["order"] for field in fields.values()] == list(range(len(fields)))
        assert all(field.get("title") and field.get("description") for field in fields.values())
    # One of log_group_name, log_group_prefix and log_group_names is required: the model says which is missing.
    assert report["type"] == "object" and report["required"] == ["name"]
    assert properties["session_duration"] == {
        "default": 3600,
        "description": properties["session_duration"]["description"],
        "maximum": 43200,
        "minimum": 900,
        "order": 6,
        "title": "Role Session Duration",
        "type": "integer",
    }
    assert properties["start_date"]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
    assert connection_specification() == spec  # rendering twice gives the same (no shared mutable state)


def test_spec_descriptions_are_one_paragraph_and_say_what_the_code_does() -> None:
    spec = connection_specification()
    descriptions: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            descriptions.extend([node["description"]] if isinstance(node.get("description"), str) else [])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(spec)
    assert len(descriptions) == len(spec["properties"]) + 1 + len(CustomLogReport.model_fields)
    for description in descriptions:
        assert description == " ".join(description.split()) and "\\" not in description, description
    reports = spec["properties"]["custom_log_reports"]
    for text in (reports["description"], reports["items"]["description"]):
        assert all(words in text for words in ("one log group", "prefix", "names or ARNs", "Logs Insights query"))
    query = reports["items"]["properties"]["query"]["description"]
    assert all(f" {command}" in query for command in REFUSED_COMMANDS)


def test_a_config_of_the_older_connector_parses_unchanged() -> None:
    legacy = {
        "region_name": "eu-west-1",
        "aws_access_key_id": "AKIDEXAMPLE",
        "aws_secret_access_key": "secret-example",
        "role_arn": "arn:aws:iam::123456789012:role/reader",
        "session_duration": 1800,
        "log_group_prefix": "/aws/lambda/",
        "custom_log_reports": [
            {"name": "r", "log_group_name": "g", "log_stream_names": ["a"], "filter_pattern": "ERROR"}
        ],
        "start_date": "2025-01-01T00:00:00Z",
        "some_future_key": {"ignored": True},
    }
    config = parse_config(legacy)
    assert config.region_name == "eu-west-1"
    assert config.role_arn == "arn:aws:iam::123456789012:role/reader"
    assert config.start_date_ms == 1_735_689_600_000
    assert config.custom_log_reports is not None and config.custom_log_reports[0].log_stream_names == ["a"]
    assert config.ingestion_delay_seconds == 300 and config.lookback_window_seconds == 0


def test_empty_optional_strings_mean_unset() -> None:
    config = parse_config(
        {**BASE, "aws_access_key_id": "", "aws_secret_access_key": "", "role_arn": " ", "start_date": ""}
    )
    assert config.aws_access_key_id is None and config.role_arn is None and config.start_date is None


def test_blank_report_settings_mean_unset_and_padding_is_stripped() -> None:
    raw = {"name": "r", "log_group_name": " g\n", "log_group_prefix": "  ", "vpc_flow_log_format": "", "query": "\n"}
    config = parse_config({**BASE, "message_format": None, "custom_log_reports": [raw]})
    assert config.custom_log_reports is not None
    report = config.custom_log_reports[0]
    assert (report.log_group_name, report.log_group_prefix, report.vpc_flow_log_format, report.query) == (
        "g",
        None,
        None,
        None,
    )
    assert parse_config({**BASE, "message_format": ""}).message_format == config.message_format == "raw"


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("start_date", "`start_date` is not a valid date"),
        ("message_format", "`message_format` Input should be 'raw', 'json' or 'auto'"),
    ],
)
def test_only_spaces_are_not_empty_where_values_are_not_stripped(field: str, expected: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config({**BASE, field: " "})
    assert raised.value.message is not None and expected in raised.value.message


REPORT = {"name": "r", "log_group_name": "g"}


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, "`region_name` is required"),
        ({"region_name": 5}, "`region_name` Input should be a valid string"),
        ({"region_name": "US East"}, "`region_name` is not an AWS region name"),
        ({**BASE, "session_duration": 899}, "`session_duration` Input should be greater than or equal to 900"),
        ({**BASE, "session_duration": 43201}, "`session_duration` Input should be less than or equal to 43200"),
        ({**BASE, "session_duration": "long"}, "`session_duration` Input should be a valid integer"),
        (
            {**BASE, "ingestion_delay_seconds": -1},
            "`ingestion_delay_seconds` Input should be greater than or equal to 0",
        ),
        (
            {**BASE, "lookback_window_seconds": -5},
            "`lookback_window_seconds` Input should be greater than or equal to 0",
        ),
        ({**BASE, "role_arn": "arn:aws:iam::12:user/x"}, "`role_arn` must look like arn:aws:iam::123456789012:role/"),
        ({**BASE, "role_external_id": "x"}, "`role_external_id` must be 2 to 1224 characters"),
        ({**BASE, "start_date": "2026-01-01"}, "`start_date` is not a valid date; use the format YYYY-MM-DDTHH:mm:ssZ"),
        ({**BASE, "start_date": "2026-13-01T00:00:00Z"}, "`start_date` is not a valid date"),
        ({**BASE, "start_date": "2999-01-01T00:00:00Z"}, "`start_date` is in the future"),
        ({**BASE, "endpoint_url": "localhost:4566"}, "`endpoint_url` must be an http:// or https:// URL"),
        ({**BASE, "endpoint_url": "file:///etc/passwd"}, "`endpoint_url` must be an http:// or https:// URL"),
        ({**BASE, "aws_access_key_id": "AKID"}, "aws_access_key_id and aws_secret_access_key go together"),
        (
            {**BASE, "custom_log_reports": [{"name": "r"}]},
            "`custom_log_reports[0]` needs exactly one of log_group_name (one log group), log_group_prefix or "
            "log_group_names (one stream over many log groups)",
        ),
        (
            {**BASE, "custom_log_reports": [{**REPORT, "log_group_prefix": "/aws/lambda/"}]},
            "`custom_log_reports[0]` needs exactly one of log_group_name",
        ),
        ({**BASE, "message_format": "xml"}, "`message_format` Input should be 'raw', 'json' or 'auto'"),
        (
            {**BASE, "vpc_flow_log_format": "version srcaddr"},
            "`vpc_flow_log_format` has a token (number 1) that is not a VPC flow log field such as ${srcaddr}",
        ),
        # Issue 20 item 13: a field flow logs do not have, or text between fields, would shift every column.
        (
            {**BASE, "vpc_flow_log_format": "${version} ${srcaddr} ${colour}"},
            "`vpc_flow_log_format` has a token (number 3) that is not a VPC flow log field such as ${srcaddr}",
        ),
        (
            {**BASE, "vpc_flow_log_format": "${version}, ${srcaddr}"},
            "`vpc_flow_log_format` has a token (number 1) that is not a VPC flow log field such as ${srcaddr}",
        ),
        (
            {**BASE, "custom_log_reports": [{"name": "r", "log_group_name": "/g", "vpc_flow_log_format": "${bogus}"}]},
            "`custom_log_reports[0].vpc_flow_log_format` has a token (number 1) that is not a VPC flow log field",
        ),
        ({**BASE, "requests_per_second": True}, "`requests_per_second` must be a number, not true or false"),
        ({**BASE, "num_workers": False}, "`num_workers` must be a number, not true or false"),
        ({**BASE, "requests_per_second": float("nan")}, "`requests_per_second` must be a finite number"),
        ({**BASE, "requests_per_second": float("inf")}, "`requests_per_second` must be a finite number"),
        (
            {**BASE, "custom_log_reports": [{**REPORT, "log_stream_names": ["a"], "log_stream_name_prefix": "a"}]},
            "`custom_log_reports[0]` log_stream_names and log_stream_name_prefix cannot be used together",
        ),
        (
            {**BASE, "custom_log_reports": [{**REPORT, "log_stream_names": [f"s{i}" for i in range(101)]}]},
            "`custom_log_reports[0].log_stream_names` has 101 names but CloudWatch accepts at most 100",
        ),
        (
            {**BASE, "custom_log_reports": [REPORT, {**REPORT, "log_group_name": "h"}]},
            "custom_log_reports: duplicate stream name(s) ['r']",
        ),
        ({**BASE, "custom_log_reports": "r"}, "`custom_log_reports` Input should be a valid list"),
        (
            {**BASE, "custom_log_reports": [{**REPORT, "query": "fields a | filter b > 1", "filter_pattern": "x"}]},
            "`custom_log_reports[0]` query cannot be combined with log_stream_names, log_stream_name_prefix or "
            "filter_pattern; filter in the query instead",
        ),
        (
            {**BASE, "custom_log_reports": [{**REPORT, "query": "fields a | limit 5"}]},
            "`custom_log_reports[0].query` uses `limit`, which keeps only some events",
        ),
        ({**BASE, "max_concurrent_queries": 0}, "`max_concurrent_queries` Input should be greater than or equal to 1"),
    ],
)
def test_each_bad_config_names_the_field(config: dict[str, Any], expected: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config(config)
    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message is not None
    assert raised.value.message.startswith("Invalid configuration: ")
    assert expected in raised.value.message


def test_config_errors_never_echo_values() -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config({**BASE, "aws_access_key_id": "AKID-VISIBLE", "aws_secret_access_key": ["SECRET-VALUE"]})
    assert "SECRET-VALUE" not in str(raised.value.message) and "SECRET-VALUE" not in str(raised.value.internal_message)


def test_a_config_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(AirbyteTracedException, match="must be a JSON object"):
        parse_config(["region_name"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "role_arn",
    [
        "arn:aws:iam::123456789012:role/reader",
        "arn:aws:iam::123456789012:role/team/etl/reader+x=y,z.a@b-c_d",
        "arn:aws-cn:iam::123456789012:role/reader",
        "arn:aws-us-gov:iam::123456789012:role/reader",
    ],
)
def test_role_arns_that_are_accepted(role_arn: str) -> None:
    assert parse_config({**BASE_CONFIG, "role_arn": role_arn}).role_arn == role_arn


@pytest.mark.parametrize(
    "role_arn",
    [
        "arn:aws:iam::123456789012:user/reader",
        "arn:aws:iam::12345678901:role/reader",
        "arn:aws:iam::123456789012:role/",
        "arn:aws:iam::123456789012:role/has space",
        "arn:aws:iam::123456789012:role/rôle",
        "arn:aws:sts::123456789012:assumed-role/reader/session",
        "reader",
    ],
)
def test_role_arns_that_are_refused(role_arn: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config({**BASE_CONFIG, "role_arn": role_arn})
    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message == (
        "Invalid configuration: `role_arn` must look like arn:aws:iam::123456789012:role/role-name."
    )


@pytest.mark.parametrize("external_id", ["ab", "Ext+=,.@:/-_id1", "x" * 1224])
def test_external_ids_that_are_accepted(external_id: str) -> None:
    assert (
        parse_config({**BASE_CONFIG, "role_arn": ROLE, "role_external_id": external_id}).role_external_id == external_id
    )


@pytest.mark.parametrize("external_id", ["x", "x" * 1225, "has space", "ünïcode", "semi;colon"])
def test_external_ids_that_are_refused(external_id: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config({**BASE_CONFIG, "role_arn": ROLE, "role_external_id": external_id})
    assert raised.value.message == (
        "Invalid configuration: `role_external_id` must be 2 to 1224 characters of letters, digits and +=,.@:/-_."
    )


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_role_fields_are_unset(blank: str) -> None:
    config = parse_config({**BASE_CONFIG, "role_arn": blank, "role_external_id": blank})
    assert (config.role_arn, config.role_external_id) == (None, None)
    assert (
        make_session(aws_settings(config), sts_config=client_config(2)).get_credentials().method == "explicit"
    )  # no role: the keys themselves


@pytest.mark.parametrize(("given", "expected"), [(None, 3600), (900, 900), (43200, 43200), (7200, 7200)])
def test_session_durations_that_are_accepted(given: int | None, expected: int) -> None:
    raw = (
        {**BASE_CONFIG, "role_arn": ROLE}
        if given is None
        else {**BASE_CONFIG, "role_arn": ROLE, "session_duration": given}
    )
    assert parse_config(raw).session_duration == expected


@pytest.mark.parametrize(
    ("given", "problem"),
    [
        (899, "Input should be greater than or equal to 900"),
        (43201, "Input should be less than or equal to 43200"),
        (3600.5, "Input should be a valid integer, got a number with a fractional part"),
        ("an hour", "Input should be a valid integer, unable to parse string as an integer"),
    ],
)
def test_session_durations_that_are_refused(given: Any, problem: str) -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config({**BASE_CONFIG, "role_arn": ROLE, "session_duration": given})
    assert raised.value.message == f"Invalid configuration: `session_duration` {problem}."


def test_spec_renders_the_role_fields_and_keeps_secrets_out_of_examples() -> None:
    properties = connection_specification()["properties"]
    duration = properties["session_duration"]
    assert (duration["type"], duration["minimum"], duration["maximum"], duration["default"]) == (
        "integer",
        900,
        43200,
        3600,
    )
    assert properties["role_arn"]["type"] == properties["role_external_id"]["type"] == "string"
    secret_fields = {name for name, prop in properties.items() if prop.get("airbyte_secret")}
    assert secret_fields == {"aws_access_key_id", "aws_secret_access_key", "aws_session_token"}
    for name in secret_fields:
        assert not {"examples", "default", "const", "enum"} & set(properties[name]), name


def test_spaces_and_line_breaks_around_pasted_values_are_stripped() -> None:
    """Copy-paste adds them; left in, a key or token ends up in an HTTP header, and botocore's error would
    print it (issue 15, item 2)."""
    config = parse_config(
        {
            "region_name": " us-east-1\n",
            "aws_access_key_id": "AKIDEXAMPLE\n",
            "aws_secret_access_key": "\tnot-a-real-secret ",
            "aws_session_token": "token-value\r\n",
            "role_arn": " arn:aws:iam::123456789012:role/reader\n",
            "role_external_id": "ext-1\n",
            "endpoint_url": " http://127.0.0.1:5000\n",
            "sts_endpoint_url": "http://127.0.0.1:5001 ",
        }
    )
    assert config.region_name == "us-east-1"
    assert config.aws_access_key_id is not None and config.aws_access_key_id.get_secret_value() == "AKIDEXAMPLE"
    assert config.aws_secret_access_key is not None
    assert config.aws_secret_access_key.get_secret_value() == "not-a-real-secret"
    assert config.aws_session_token is not None and config.aws_session_token.get_secret_value() == "token-value"
    assert (config.role_arn, config.role_external_id) == ("arn:aws:iam::123456789012:role/reader", "ext-1")
    assert (config.endpoint_url, config.sts_endpoint_url) == ("http://127.0.0.1:5000", "http://127.0.0.1:5001")


@pytest.mark.parametrize("field", ["aws_access_key_id", "aws_secret_access_key", "aws_session_token"])
def test_a_secret_with_a_line_break_inside_is_refused_without_echoing_it(field: str) -> None:
    raw = {**BASE_CONFIG, field: "first-half\nsecond-half"}
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config(raw)
    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message == (
        f"Invalid configuration: `{field}` contains spaces or line breaks; paste the value again without them."
    )
    assert "half" not in str(raised.value.message) + str(raised.value.internal_message)


def test_a_region_with_a_trailing_line_break_inside_a_pattern_is_refused() -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config({"region_name": "us-east-1\nx"})
    assert raised.value.message == (
        "Invalid configuration: `region_name` is not an AWS region name; use one like us-east-1 or eu-west-2."
    )


@pytest.mark.parametrize("empty", ["", "  ", None])
def test_empty_and_null_numbers_mean_the_default(empty: Any) -> None:
    """The older connector's spec defaulted session_duration to "" (issue 15, item 6)."""
    fields = ["session_duration", "ingestion_delay_seconds", "lookback_window_seconds", "num_workers"]
    config = parse_config({**BASE, **dict.fromkeys(fields, empty), "requests_per_second": empty})
    defaults = {name: CloudWatchLogsConfig.model_fields[name].default for name in [*fields, "requests_per_second"]}
    assert {name: getattr(config, name) for name in defaults} == defaults
    assert config.session_duration == 3600


def test_account_identifiers_are_twelve_digit_ids_at_most_twenty() -> None:
    base = {"region_name": "us-east-1", "include_linked_accounts": True}
    assert parse_config({**base, "account_identifiers": [" 210987654321 "]}).account_identifiers == ["210987654321"]
    assert parse_config({**base, "account_identifiers": []}).account_identifiers is None
    assert parse_config({"region_name": "us-east-1"}).include_linked_accounts is False
    for bad, message in (
        (["2109876543210"], "`account_identifiers` item 0 is not a 12-digit AWS account ID"),
        (
            [str(10**11 + n) for n in range(21)],
            "`account_identifiers` lists 21 accounts; DescribeLogGroups takes at most 20",
        ),
    ):
        with pytest.raises(AirbyteTracedException) as error:
            parse_config({**base, "account_identifiers": bad})
        assert error.value.message == f"Invalid configuration: {message}."
