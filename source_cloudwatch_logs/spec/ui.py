"""The connection specification the Airbyte UI renders: the config model's JSON schema, reshaped.

pydantic writes nested models as `$ref`s, optional fields as `anyOf: [X, null]` with `default: null`, and
secrets as `format: password`; the UI wants inline objects and plain types, and masks secrets by
`airbyte_secret`. Each object's fields are shown in the order the model declares them (`order` 0..n-1), and
every description is one paragraph. unit_tests/test_spec.py::test_spec_renders_plain_types_secrets_and_order and
::test_spec_descriptions_are_one_paragraph_and_say_what_the_code_does prove it.
"""

from __future__ import annotations

from typing import Any

from airbyte_cdk.sources.utils.schema_helpers import expand_refs

from source_cloudwatch_logs.spec.model import CloudWatchLogsConfig


def connection_specification() -> dict[str, Any]:
    schema = CloudWatchLogsConfig.model_json_schema()
    expand_refs(schema)  # inlines each `#/$defs/...` reference
    schema.pop("$defs", None)
    spec: dict[str, Any] = _plain(schema)
    spec["$schema"] = "http://json-schema.org/draft-07/schema#"
    spec["additionalProperties"] = True
    return spec


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
