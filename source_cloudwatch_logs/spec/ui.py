"""The connection specification the Airbyte UI renders: the config model's JSON schema, reshaped into a form
grouped by task. The config it describes stays the model's: flat keys, each meaning what the model says.

pydantic writes nested models as `$ref`s, optional fields as `anyOf: [X, null]` with `default: null`, and
secrets as `format: password`; the UI wants inline objects and plain types, and masks secrets by
`airbyte_secret`. Every description is one paragraph.

The top level is cut into the cards of `GROUPS` (`groups` on the spec, `group` on each property, `order` 0..n-1
within each card; the model's field order does not matter). `ALWAYS_SHOWN` fields stay out of the card's
collapsed "Optional fields". A custom report is one `oneOf`: the UI shows one choice per object, so each branch
is a pair (which log groups: one, a prefix or a list) x (how: events narrowed by stream and filter pattern, or a
Logs Insights query), chosen by `report_kind`, a key the UI writes and the model ignores; the report keeps its
`properties` and `required` beside the `oneOf` (the UI reads only the branches). Each branch lists the
keys it shows and, beside them, which settings it needs set and which unset, in the model's terms (blank is
unset), so any flat report the model accepts, with or without `report_kind`, matches exactly one branch.

unit_tests/test_spec.py proves it (::test_the_form_is_grouped_by_task_as_the_ui_reads_it,
::test_a_report_is_one_choice_of_branches_with_titles, ::test_older_and_0_1_0_configs_match_the_spec_and_parse,
::test_spec_descriptions_are_one_paragraph_and_say_what_the_code_does).
"""

from __future__ import annotations

from typing import Any

from airbyte_cdk.sources.utils.schema_helpers import expand_refs

from source_cloudwatch_logs.spec.model import CloudWatchLogsConfig

# (group id, title shown on the card, its fields in the order shown)
GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "connection",
        "Connection and credentials",
        (
            "region_name",
            "endpoint_url",
            "aws_access_key_id",
            "aws_secret_access_key",
            "aws_session_token",
            "role_arn",
            "role_external_id",
            "session_duration",
            "sts_endpoint_url",
        ),
    ),
    (
        "replicate",
        "What to replicate",
        ("log_group_prefix", "custom_log_reports", "include_linked_accounts", "account_identifiers", "start_date"),
    ),
    ("records", "Records", ("message_format", "vpc_flow_log_format")),
    (
        "late_events",
        "Late events",
        (
            "ingestion_delay_seconds",
            "lookback_window_seconds",
            "max_lookback_seconds",
            "late_sweep_interval_hours",
            "late_sweep_span_hours",
        ),
    ),
    ("pacing", "Pacing and Logs Insights", ("requests_per_second", "num_workers", "max_concurrent_queries")),
)

# Optional fields most setups fill in: shown in their card rather than under its "Optional fields".
ALWAYS_SHOWN = frozenset(
    {
        "aws_access_key_id",
        "aws_secret_access_key",
        "log_group_prefix",
        "custom_log_reports",
        "start_date",
        "message_format",
    }
)

REPORT_KIND = "report_kind"

# Which log groups a report reads: (name in `report_kind`, branch title start, description, the setting).
_GROUP_CHOICES = (
    ("group", "One log group", "A stream over one log group.", "log_group_name"),
    (
        "prefix",
        "Log groups by prefix, one stream",
        "One stream over every log group whose name starts with a prefix, today's and later ones.",
        "log_group_prefix",
    ),
    ("names", "Listed log groups, one stream", "One stream over the log groups listed.", "log_group_names"),
)
# How it reads them: (name in `report_kind`, branch title end, description, the settings shown).
_READ_CHOICES = (
    (
        "events",
        "events, optionally filtered",
        "Its records are the log events, narrowed to some log streams and/or a filter pattern when set.",
        ("log_stream_names", "log_stream_name_prefix", "filter_pattern"),
    ),
    (
        "query",
        "Logs Insights query",
        "Its records are the fields a Logs Insights query returns (billed per GB scanned).",
        ("query",),
    ),
)
_FILTERS = _READ_CHOICES[0][3]
_COMMON = ("message_format", "vpc_flow_log_format")

# When the model counts a report setting as set: stripped strings not blank, lists not empty, the other strings
# not empty (CustomLogReport: blank_is_default, _group_names, _stream_names, _one_stream_selector).
_SET = {
    "log_group_name": {"type": "string", "pattern": r"\S"},
    "log_group_prefix": {"type": "string", "pattern": r"\S"},
    "query": {"type": "string", "pattern": r"\S"},
    "log_group_names": {"type": "array", "minItems": 1},
    "log_stream_names": {"type": "array", "minItems": 1},
    "log_stream_name_prefix": {"type": "string", "minLength": 1},
    "filter_pattern": {"type": "string", "minLength": 1},
}


def connection_specification() -> dict[str, Any]:
    schema = CloudWatchLogsConfig.model_json_schema()
    expand_refs(schema)  # inlines each `#/$defs/...` reference
    schema.pop("$defs", None)
    spec: dict[str, Any] = _plain(schema)
    spec["$schema"] = "http://json-schema.org/draft-07/schema#"
    spec["additionalProperties"] = True
    properties = spec["properties"]
    for group, _title, names in GROUPS:
        for order, name in enumerate(names):
            properties[name].update({"group": group, "order": order})
            if name in ALWAYS_SHOWN:
                properties[name]["always_show"] = True
    spec["groups"] = [{"id": group, "title": title} for group, title, _names in GROUPS]
    reports = properties["custom_log_reports"]
    reports["items"] = _report_choice(reports["items"])
    return spec


def _report_choice(report: dict[str, Any]) -> dict[str, Any]:
    """The report object as one `oneOf` of (log groups x read) branches."""
    fields = report["properties"]
    branches = []
    for group_kind, group_title, group_text, group_field in _GROUP_CHOICES:
        for read_kind, read_title, read_text, read_fields in _READ_CHOICES:
            kind = f"{group_kind}_{read_kind}"
            shown = ("name", group_field, *read_fields, *_COMMON)
            properties = {REPORT_KIND: {"type": "string", "const": kind, "order": 0}}
            properties.update({name: {**fields[name], "order": order} for order, name in enumerate(shown, 1)})
            unset = [other for *_, other in _GROUP_CHOICES if other != group_field]
            unset += _FILTERS if read_kind == "query" else ["query"]
            needed = [group_field, *(["query"] if read_kind == "query" else [])]
            branch: dict[str, Any] = {
                "title": f"{group_title}: {read_title}",
                "description": f"{group_text} {read_text}",
                "type": "object",
                "required": ["name", *needed],
                "properties": properties,
                "allOf": [_is_set(name) for name in needed] + [{"not": _is_set(name)} for name in unset],
            }
            branches.append(branch)
    return report | {"oneOf": branches}  # its `properties` still type every key; the UI shows the branches


def _is_set(name: str) -> dict[str, Any]:
    return {"required": [name], "properties": {name: _SET[name]}}


def _plain(node: Any) -> Any:
    """A copy of `node` with plain types, numbered fields and one-paragraph descriptions."""
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if "anyOf" in node:
        options = [option for option in node.pop("anyOf") if option.get("type") != "null"]
        if len(options) == 1:
            node = {**_plain(options[0]), **node}
    if node.get("default", 0) is None:
        del node["default"]
    if node.get("format") == "password":  # pydantic's SecretStr; the UI masks via airbyte_secret
        del node["format"]
        node.pop("writeOnly", None)
    if isinstance(node.get("description"), str):  # a docstring's line breaks would show as `\n`
        node["description"] = " ".join(node["description"].split())
    plain = {key: _plain(value) for key, value in node.items()}
    for order, field in enumerate(plain.get("properties", {}).values()):
        field["order"] = order
    return plain
