"""The config package: the Airbyte spec it renders (spec/ui.py), the config it accepts (spec/model.py), and a
clear message naming the field for every bad input (spec/errors.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.airbyte_secrets_utils import get_secret_paths
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
    assert list(properties) == list(CloudWatchLogsConfig.model_fields)
    assert all(field.get("title") and field.get("description") for field in properties.values())
    assert properties["session_duration"] == {
        "default": 3600,
        "description": properties["session_duration"]["description"],
        "group": "connection",
        "maximum": 43200,
        "minimum": 900,
        "order": 7,
        "title": "Role Session Duration",
        "type": "integer",
    }
    assert properties["start_date"]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
    assert get_secret_paths(spec) == [["aws_access_key_id"], ["aws_secret_access_key"], ["aws_session_token"]]
    assert connection_specification() == spec  # rendering twice gives the same (no shared mutable state)


# The form as the issue asked for it (issue 24): cards in this order, fields in this order within each card.
FORM = {
    "Connection and credentials": [
        "region_name",
        "endpoint_url",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "role_arn",
        "role_external_id",
        "session_duration",
        "sts_endpoint_url",
    ],
    "What to replicate": [
        "log_group_prefix",
        "custom_log_reports",
        "include_linked_accounts",
        "account_identifiers",
        "start_date",
    ],
    "Records": ["message_format", "vpc_flow_log_format"],
    "Late events": [
        "ingestion_delay_seconds",
        "lookback_window_seconds",
        "max_lookback_seconds",
        "late_sweep_interval_hours",
        "late_sweep_span_hours",
    ],
    "Pacing and Logs Insights": ["requests_per_second", "num_workers", "max_concurrent_queries"],
}


def rendered_form(spec: dict[str, Any]) -> dict[str, list[str]]:
    """The cards and their fields as the Airbyte UI lays them out: the cards in the order of `groups`, a field in
    the card its `group` names, fields sorted by `order` (connector-specification-reference, "Grouping fields")."""
    cards: dict[str, list[tuple[int, str]]] = {group["id"]: [] for group in spec["groups"]}
    for name, field in spec["properties"].items():
        cards[field["group"]].append((field["order"], name))
    titles = {group["id"]: group["title"] for group in spec["groups"]}
    return {titles[group]: [name for _order, name in sorted(fields)] for group, fields in cards.items()}


def test_the_form_is_grouped_by_task_as_the_ui_reads_it() -> None:
    spec = connection_specification()
    properties = spec["properties"]
    groups = [group["id"] for group in spec["groups"]]

    assert len(set(groups)) == len(groups) and all(group["title"] for group in spec["groups"])
    assert all(isinstance(field["group"], str) and field["group"] in groups for field in properties.values())
    assert rendered_form(spec) == FORM  # each property in exactly one card, in this order
    for group in groups:  # orders in sequence within each card (the UI refuses duplicates in a group)
        orders = sorted(field["order"] for field in properties.values() if field["group"] == group)
        assert orders == list(range(len(orders))), group
    shown = {name for name, field in properties.items() if field.get("always_show")}
    assert shown == {
        "aws_access_key_id",
        "aws_secret_access_key",
        "log_group_prefix",
        "custom_log_reports",
        "start_date",
        "message_format",
    }
    nested = [field["items"] for field in properties.values() if "items" in field]
    assert "group" not in keys_within(nested)  # `group` is read on top-level properties only


def keys_within(node: Any) -> set[str]:
    if isinstance(node, dict):
        return set(node).union(*(keys_within(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(keys_within(value) for value in node))
    return set()


def test_a_report_is_one_choice_of_branches_with_titles() -> None:
    """The UI's rules for `oneOf` (connector-specification-reference, "Using oneOf"): on an object, every branch
    an object, one `const` string key present in every branch with a value unique to it."""
    report = connection_specification()["properties"]["custom_log_reports"]["items"]
    branches = report["oneOf"]

    assert report["type"] == "object" and report["required"] == ["name"]
    assert list(report["properties"]) == list(CustomLogReport.model_fields)  # typing every key, whatever the branch
    assert [branch["title"] for branch in branches] == [
        "One log group: events, optionally filtered",
        "One log group: Logs Insights query",
        "Log groups by prefix, one stream: events, optionally filtered",
        "Log groups by prefix, one stream: Logs Insights query",
        "Listed log groups, one stream: events, optionally filtered",
        "Listed log groups, one stream: Logs Insights query",
    ]
    kinds = [branch["properties"]["report_kind"]["const"] for branch in branches]
    assert len(set(kinds)) == len(kinds) == 6
    for branch in branches:
        fields = branch["properties"]
        assert branch["type"] == "object" and branch["description"] == " ".join(branch["description"].split())
        assert [field["order"] for field in fields.values()] == list(range(len(fields)))
        assert "report_kind" not in branch["required"]  # configs written before the choice existed match too
        selectors = {"log_group_name", "log_group_prefix", "log_group_names"} & set(fields)
        assert len(selectors) == 1 and branch["required"] == [
            "name",
            *selectors,
            *(["query"] if "query" in fields else []),
        ]
        assert ("query" in fields) != bool(
            {"log_stream_names", "log_stream_name_prefix", "filter_pattern"} & set(fields)
        )
        for name in list(fields)[1:]:
            assert name in CustomLogReport.model_fields and fields[name]["title"] and fields[name]["description"]
    shown = {name for branch in branches for name in branch["properties"]} - {"report_kind"}
    assert shown == set(CustomLogReport.model_fields)


def report_kinds(config: dict[str, Any]) -> list[str]:
    """The branch each report matches (validating the whole config with jsonschema first)."""
    spec = connection_specification()
    jsonschema.Draft7Validator(spec).validate(config)
    branches = spec["properties"]["custom_log_reports"]["items"]["oneOf"]
    kinds = []
    for report in config.get("custom_log_reports") or []:
        matches = [
            b["properties"]["report_kind"]["const"] for b in branches if jsonschema.Draft7Validator(b).is_valid(report)
        ]
        assert len(matches) == 1, matches
        kinds += matches
    return kinds


INTEGRATION = Path(__file__).parent.parent / "integration_tests"
OLDER_CONNECTOR_SAMPLE = {  # the shape of the older Airbyte connector's integration_tests/sample_config.json
    "region_name": "eu-central-1",
    "custom_log_reports": [{"name": "app_logs", "log_group_name": "app", "filter_pattern": "?ERROR ?WARN"}],
}
OLDER_CONNECTOR_UI_DEFAULTS = {  # what the older spec's defaults ("" and []) leave in a config its form saved
    "region_name": "eu-central-1",
    "role_arn": "",
    "log_group_prefix": "",
    "custom_log_reports": [{"name": "r", "log_group_name": "g", "log_stream_names": [], "filter_pattern": ""}],
}
FIRST_RELEASE_SAMPLE = {  # 0.1.0's integration_tests/sample_config.json, values changed
    "region_name": "us-east-1",
    "aws_access_key_id": "AKIDEXAMPLE",
    "aws_secret_access_key": "secret-example",
    "role_arn": "arn:aws:iam::123456789012:role/reader",
    "role_external_id": "external-id",
    "log_group_prefix": "/aws/",
    "custom_log_reports": [{"name": "errors", "log_group_name": "/aws/api/access", "filter_pattern": "{ $.s >= 500 }"}],
    "start_date": "2026-01-01T00:00:00Z",
    "ingestion_delay_seconds": 300,
    "lookback_window_seconds": 600,
}
FIRST_RELEASE_INVALID = {  # 0.1.0's integration_tests/invalid_config.json: a valid config, an unreachable endpoint
    "region_name": "us-east-1",
    "aws_access_key_id": "invalid-key",
    "aws_secret_access_key": "invalid-secret",
    "endpoint_url": "http://127.0.0.1:1",
}


@pytest.mark.parametrize(
    ("config", "kinds"),
    [
        (OLDER_CONNECTOR_SAMPLE, ["group_events"]),
        (OLDER_CONNECTOR_UI_DEFAULTS, ["group_events"]),
        (FIRST_RELEASE_SAMPLE, ["group_events"]),
        (FIRST_RELEASE_INVALID, []),
        (json.loads((INTEGRATION / "sample_config.json").read_text()), ["group_events"]),
        (json.loads((INTEGRATION / "invalid_config.json").read_text()), []),
        (
            {
                **BASE,
                "custom_log_reports": [
                    {"name": "a", "log_group_name": "g", "log_group_prefix": " ", "log_group_names": [], "query": ""},
                    {"name": "b", "log_group_name": "g", "query": "fields a | filter b > 1", "filter_pattern": ""},
                    {"name": "c", "log_group_prefix": "/aws/", "log_stream_name_prefix": "web"},
                    {"name": "d", "log_group_prefix": "/aws/", "query": "fields a", "log_stream_names": []},
                    {"name": "e", "log_group_names": ["x", "y"], "log_stream_names": ["s"]},
                    {"name": "f", "log_group_names": ["x"], "query": "fields a", "report_kind": "names_query"},
                ],
            },
            ["group_events", "group_query", "prefix_events", "prefix_query", "names_events", "names_query"],
        ),
    ],
)
def test_older_and_0_1_0_configs_match_the_spec_and_parse(config: dict[str, Any], kinds: list[str]) -> None:
    """Configs keep their flat keys: each report matches exactly one branch, with or without `report_kind`."""
    assert report_kinds(config) == kinds
    parsed = parse_config(config)
    assert [report.name for report in parsed.custom_log_reports or []] == [
        report["name"] for report in config.get("custom_log_reports") or []
    ]


@pytest.mark.parametrize(
    "report",
    [
        {"name": "r"},
        {"name": "r", "log_group_name": " "},
        {"name": "r", "log_group_name": "g", "log_group_prefix": "/aws/"},
        {"name": "r", "log_group_name": "g", "log_group_names": ["h"]},
        {"name": "r", "log_group_name": "g", "query": "fields a", "filter_pattern": "ERROR"},
        {"name": "r", "log_group_prefix": "/aws/", "query": "fields a", "log_stream_names": ["s"]},
        {"name": "r", "log_group_name": "g", "report_kind": "prefix_events"},
    ],
)
def test_reports_the_model_refuses_match_no_branch(report: dict[str, Any]) -> None:
    config = {**BASE, "custom_log_reports": [report]}
    assert not jsonschema.Draft7Validator(connection_specification()).is_valid(config)
    if "report_kind" not in report:  # the model ignores the key the UI writes; the settings decide
        with pytest.raises(AirbyteTracedException):
            parse_config(config)


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
    branches = spec["properties"]["custom_log_reports"]["items"]["oneOf"]
    in_branches = sum(len(branch["properties"]) for branch in branches)  # report_kind has none
    report_fields = len(CustomLogReport.model_fields)
    assert len(descriptions) == len(spec["properties"]) + 1 + report_fields + in_branches
    for description in descriptions:
        assert description == " ".join(description.split()) and "\\" not in description, description
    reports = spec["properties"]["custom_log_reports"]
    for text in (reports["description"], reports["items"]["description"]):
        assert all(words in text for words in ("one log group", "prefix", "names or ARNs", "Logs Insights query"))
    for branch in branches:
        if "query" in branch["properties"]:
            query = branch["properties"]["query"]["description"]
            assert all(f" {command}" in query for command in REFUSED_COMMANDS)
        for field in branch["properties"].values():
            assert "Instead of" not in field.get("description", "")  # the choice is the branch now


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
        ({**BASE, "late_sweep_span_hours": 361}, "`late_sweep_span_hours` Input should be less than or equal to 360"),
        ({**BASE, "late_sweep_span_hours": -1}, "`late_sweep_span_hours` Input should be greater than or equal to 0"),
        ({**BASE, "late_sweep_interval_hours": "daily"}, "`late_sweep_interval_hours` Input should be a valid integer"),
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


def test_sweep_settings_default_compatibly_and_their_errors_never_echo_the_value() -> None:
    config = parse_config(BASE)
    assert (config.late_sweep_interval_hours, config.late_sweep_span_hours) == (24, 48)
    with pytest.raises(AirbyteTracedException) as raised:
        parse_config({**BASE, "late_sweep_span_hours": "fortnight-XYZ"})
    assert "late_sweep_span_hours" in str(raised.value.message)
    assert "fortnight-XYZ" not in str(raised.value.message) and "fortnight-XYZ" not in str(
        raised.value.internal_message
    )
