"""The connector's configuration: a pydantic model, its validation, and its Airbyte spec rendering.

Nothing else in the package reads the raw config mapping: `parse_config` turns it into a
`CloudWatchLogsConfig` or raises a `config_error` that names the offending field.

The flat keys and their meanings are those of Airbyte's older `source-cloudwatch-logs`, so existing
config files keep working unchanged; keys this model does not know are ignored.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlparse

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from source_cloudwatch_logs.aws.queries import query_problem
from source_cloudwatch_logs.aws.quotas import DEFAULT_MAX_CONCURRENT_QUERIES
from source_cloudwatch_logs.aws.settings import AwsSettings
from source_cloudwatch_logs.formats import vpc_fields
from source_cloudwatch_logs.state import MAX_BACKDATE_MS

START_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
START_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$"
MAX_LOG_STREAM_NAMES = 100  # FilterLogEvents accepts 1 to 100 logStreamNames
MAX_ACCOUNT_IDENTIFIERS = 20  # DescribeLogGroups accepts 1 to 20 accountIdentifiers


def check_flow_log_format(cls: type, value: str | None) -> str | None:
    """A VPC flow log format must name its fields (`${version} ${srcaddr} ...`)."""
    if value is not None:
        vpc_fields(value)
    return value


def _field(order: int, title: str, description: str, **extra: Any) -> Any:
    """A model field with the keys the Airbyte UI reads (`order`, `airbyte_secret`, ...)."""
    default = extra.pop("default", None)
    bound_names = {"ge", "gt", "le", "max_length"}
    schema_extra = {"order": order, **{k: v for k, v in extra.items() if k not in bound_names}}
    bounds = {k: v for k, v in extra.items() if k in bound_names}
    return Field(default, title=title, description=description, json_schema_extra=schema_extra, **bounds)


class CustomLogReport(BaseModel):
    """A stream over one log group (or, merged, many) narrowed to some log streams and/or a filter pattern, or a
    Logs Insights query."""

    model_config = ConfigDict(extra="ignore", title="Custom Log Report")

    name: str = Field(
        ...,
        min_length=1,
        title="Stream Name",
        description="Unique name of the stream this report produces.",
        json_schema_extra={"order": 0, "examples": ["api_errors"]},
    )
    log_group_name: str | None = _field(
        1,
        "Log Group Name",
        "The log group to read: its name, or its ARN for a linked source account's group "
        "(arn:aws:logs:<region>:<account id>:log-group:<name>). Or, for one stream over many log groups, set "
        "Log Group Prefix or Log Group Names instead.",
        examples=["/aws/lambda/checkout"],
    )
    log_group_prefix: str | None = _field(
        6,
        "Log Group Prefix (merged stream)",
        "Instead of Log Group Name: one stream over every log group whose name starts with this prefix, those of "
        "today and those created later; records keep logGroupName. Each log group keeps its own position in the "
        "stream's state.",
        examples=["/aws/lambda/"],
    )
    log_group_names: list[str] | None = _field(
        7,
        "Log Group Names (merged stream)",
        "Instead of Log Group Name: one stream over these log groups: names of the account's own groups, or ARNs "
        "of linked source accounts' groups (arn:aws:logs:<region>:<account id>:log-group:<name>).",
        examples=[["/aws/lambda/orders", "/aws/lambda/payments"]],
    )
    message_format: Literal["raw", "json", "auto"] | None = _field(
        8,
        "Message Format",
        "Overrides the top-level Message Format for this report's stream.",
    )
    vpc_flow_log_format: str | None = _field(
        9,
        "VPC Flow Log Format",
        "With Message Format auto: the custom format of the VPC flow logs this report reads, as configured on the "
        "flow log. Leave empty for the default (version 2) format.",
        examples=["${version} ${vpc-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${action}"],
    )
    log_stream_names: list[str] | None = _field(
        2,
        "Log Stream Names",
        f"Only these log streams (at most {MAX_LOG_STREAM_NAMES}). Leave empty to read every log stream. "
        "Cannot be combined with Log Stream Name Prefix.",
    )
    log_stream_name_prefix: str | None = _field(
        3,
        "Log Stream Name Prefix",
        "Only log streams whose names start with this prefix. Cannot be combined with Log Stream Names.",
    )
    filter_pattern: str | None = _field(
        4,
        "Filter Pattern",
        "A CloudWatch Logs filter pattern; only matching events are read. "
        "See https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html",
        examples=['"ERROR"', "{ $.status >= 500 }"],
    )
    query: str | None = _field(
        5,
        "Logs Insights Query",
        "Makes this report a Logs Insights query stream: its records are the query's fields, incremental on "
        "@timestamp (always included). Works on Infrequent Access log groups too. Insights is billed per GB "
        "scanned: each sync scans the log group's data in the range it reads. Aggregations (stats) and limit are "
        "refused. Cannot be combined with the log stream and filter pattern settings: filter in the query instead.",
        examples=["fields @timestamp, status, path | filter status >= 500"],
    )

    @field_validator("log_stream_names")
    @classmethod
    def _stream_names(cls, names: list[str] | None) -> list[str] | None:
        if not names:
            return None
        if len(names) > MAX_LOG_STREAM_NAMES:
            raise ValueError(
                f"has {len(names)} names but CloudWatch accepts at most {MAX_LOG_STREAM_NAMES}; "
                "use log_stream_name_prefix or split the report"
            )
        if any(not name for name in names):
            raise ValueError("contains an empty name")
        return names

    @field_validator("query", mode="before")
    @classmethod
    def _query(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip() or None
        if isinstance(value, str):
            problem = query_problem(value)
            if problem is not None:
                raise ValueError(problem)
        return value

    @field_validator("log_group_name", "log_group_prefix", "vpc_flow_log_format", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return (value.strip() or None) if isinstance(value, str) else value

    _flow_log_format = field_validator("vpc_flow_log_format")(check_flow_log_format)

    @field_validator("log_group_names")
    @classmethod
    def _group_names(cls, names: list[str] | None) -> list[str] | None:
        if not names:
            return None
        if any(not name.strip() for name in names):
            raise ValueError("contains an empty name")
        return [name.strip() for name in names]

    @property
    def merged(self) -> bool:
        """One stream over several log groups."""
        return self.log_group_name is None

    @model_validator(mode="after")
    def _one_stream_selector(self) -> CustomLogReport:
        chosen = [self.log_group_name, self.log_group_prefix, self.log_group_names]
        if sum(value is not None for value in chosen) != 1:
            raise ValueError(
                "needs exactly one of log_group_name (one log group), log_group_prefix or log_group_names "
                "(one stream over many log groups)"
            )
        if self.query and (self.log_stream_names or self.log_stream_name_prefix or self.filter_pattern):
            raise ValueError(
                "query cannot be combined with log_stream_names, log_stream_name_prefix or filter_pattern; "
                "filter in the query instead (e.g. `filter @logStream like /^web/`)"
            )
        if self.log_stream_names and self.log_stream_name_prefix:
            raise ValueError(
                "log_stream_names and log_stream_name_prefix cannot be used together "
                "(CloudWatch refuses the combination); keep one of them"
            )
        return self


class CloudWatchLogsConfig(BaseModel):
    model_config = ConfigDict(extra="ignore", title="CloudWatch Logs Source Spec")

    region_name: str = Field(
        ...,
        title="AWS Region",
        description="The AWS region of the log groups, e.g. us-east-1.",
        json_schema_extra={"order": 0, "pattern": REGION_PATTERN, "examples": ["us-east-1", "eu-west-2"]},
    )
    aws_access_key_id: SecretStr | None = _field(
        1,
        "AWS Access Key ID",
        "Access key of an IAM user. Leave empty to use the default AWS credential chain "
        "(environment, shared config/profile, container or instance role, web identity).",
        airbyte_secret=True,
    )
    aws_secret_access_key: SecretStr | None = _field(
        2, "AWS Secret Access Key", "Secret key that goes with the access key ID.", airbyte_secret=True
    )
    aws_session_token: SecretStr | None = _field(
        3, "AWS Session Token", "Session token, only for temporary credentials.", airbyte_secret=True
    )
    role_arn: str | None = _field(
        4,
        "AWS Role ARN",
        "IAM role to assume (STS AssumeRole) with the credentials above, e.g. to read another account.",
        examples=["arn:aws:iam::123456789012:role/airbyte-cloudwatch-reader"],
    )
    role_external_id: str | None = _field(
        5,
        "Role External ID",
        "ExternalId sent with AssumeRole, when the role's trust policy requires one.",
    )
    session_duration: int = _field(
        6,
        "Role Session Duration",
        "Duration of each assumed-role session in seconds (900 to 43200). "
        "Sessions are renewed automatically during long syncs.",
        default=3600,
        ge=900,
        le=43200,
    )
    log_group_prefix: str | None = _field(
        7,
        "Log Group Prefix",
        "Only log groups whose names start with this prefix become streams.",
        examples=["/aws/lambda/"],
    )
    custom_log_reports: list[CustomLogReport] | None = _field(
        8,
        "Custom Log Reports",
        "Extra streams over one log group each, narrowed to some log streams and/or a filter pattern.",
    )
    start_date: str | None = _field(
        9,
        "Start Date",
        "UTC date and time in the format YYYY-MM-DDTHH:mm:ssZ. Events before it are not replicated. "
        "Leave empty to replicate everything the log groups still hold.",
        pattern=START_DATE_PATTERN,
        format="date-time",
        examples=["2026-01-01T00:00:00Z"],
    )
    endpoint_url: str | None = _field(
        10,
        "Endpoint URL",
        "Custom CloudWatch Logs endpoint, e.g. a VPC endpoint or LocalStack. Leave empty for AWS.",
        examples=["https://vpce-0123-abcd.logs.us-east-1.vpce.amazonaws.com"],
    )
    ingestion_delay_seconds: int = _field(
        11,
        "Ingestion Delay (seconds)",
        "A sync reads events only up to this many seconds before now, because CloudWatch makes events visible "
        "seconds to minutes after their timestamp. Later events are caught by the lookback.",
        default=300,
        ge=0,
        le=MAX_BACKDATE_MS // 1000,
    )
    lookback_window_seconds: int = _field(
        12,
        "Lookback Window (seconds)",
        "The least each incremental sync re-reads before the saved state. The connector re-reads more on its "
        "own when a stream's events arrive late (up to Max Lookback). Re-read events repeat with the same eventId.",
        default=0,
        ge=0,
        le=MAX_BACKDATE_MS // 1000,
    )
    max_lookback_seconds: int = _field(
        13,
        "Max Lookback (seconds)",
        "The most an incremental sync re-reads before the saved state, however late a stream's events arrive. "
        "Each sync may re-read this span of a busy log group; events later than it plus the ingestion delay are "
        "read only when the group is quiet around their timestamp, and the connector warns when it sees them.",
        default=3600,
        ge=0,
        le=MAX_BACKDATE_MS // 1000,
    )

    num_workers: int = _field(
        14,
        "Parallel Requests",
        "The most time windows and log groups read at once. The connector uses as many as its request rate needs "
        "to keep the quota busy at up to a second per request (27 at 25 requests per second); lower it to cap "
        "them.",
        default=32,
        ge=1,
        le=64,
    )
    requests_per_second: float | None = _field(
        15,
        "Requests per Second",
        "FilterLogEvents requests per second. Leave empty to use the region's published quota (25 in us-east-1, "
        "10 in most regions, 5 in a few). The quota is shared with every other client of the account in the region; "
        "the connector slows down by itself when throttled. Set it lower to leave room for others.",
        gt=0,
        le=1000,
    )

    sts_endpoint_url: str | None = _field(
        16,
        "STS Endpoint URL",
        "Custom STS endpoint for assuming role_arn, e.g. an STS VPC endpoint. Leave empty for AWS's regional STS "
        "endpoint (or AWS_ENDPOINT_URL_STS). Endpoint URL above is not used for STS.",
        examples=["https://vpce-0123-abcd.sts.us-east-1.vpce.amazonaws.com"],
    )

    include_linked_accounts: bool = _field(
        17,
        "Include Linked Accounts",
        "In a CloudWatch cross-account observability monitoring account: also replicate the log groups that linked "
        "source accounts share with it. Their streams are named <account id>:<log group name>.",
        default=False,
    )
    account_identifiers: list[str] | None = _field(
        18,
        "Linked Account IDs",
        f"With Include Linked Accounts: only these source accounts (12-digit account IDs, at most "
        f"{MAX_ACCOUNT_IDENTIFIERS}). Leave empty for every linked account.",
        examples=[["210987654321"]],
    )
    message_format: Literal["raw", "json", "auto"] = _field(
        20,
        "Message Format",
        "raw: records as CloudWatch returns them. json: adds message_json, the message as an object when it is a "
        "JSON object. auto: also adds typed columns for VPC flow logs, Lambda START/END/REPORT lines and API "
        "Gateway access logs (JSON presets). The raw message is always kept. Parsing costs CPU, not API calls.",
        default="raw",
    )
    vpc_flow_log_format: str | None = _field(
        21,
        "VPC Flow Log Format",
        "With Message Format auto: the custom format of your VPC flow logs, as configured on the flow log. Leave "
        "empty for the default (version 2) format. Custom reports can override it.",
        examples=["${version} ${vpc-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${action}"],
    )
    max_concurrent_queries: int = _field(
        19,
        "Concurrent Logs Insights Queries",
        "The most Logs Insights queries a sync runs at once (Infrequent Access log groups and query reports). The "
        "account's limit is shared with dashboards and other tools, and is lower for Infrequent Access log groups; "
        "the connector waits and retries when it is reached.",
        default=DEFAULT_MAX_CONCURRENT_QUERIES,
        ge=1,
        le=100,
    )

    @field_validator(
        "role_arn",
        "log_group_prefix",
        "endpoint_url",
        "sts_endpoint_url",
        "role_external_id",
        "vpc_flow_log_format",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()  # spaces and line breaks around a pasted value are never part of it
        return value or None if isinstance(value, str) else value

    @field_validator("aws_access_key_id", "aws_secret_access_key", "aws_session_token", mode="before")
    @classmethod
    def _secret(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = value.strip()  # copy-paste adds line breaks: they would end up in an HTTP header
        if any(character.isspace() for character in value):
            raise ValueError("contains spaces or line breaks; paste the value again without them")
        return value or None

    @field_validator("region_name", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator(
        "session_duration",
        "ingestion_delay_seconds",
        "lookback_window_seconds",
        "max_lookback_seconds",
        "num_workers",
        "requests_per_second",
        "max_concurrent_queries",
        mode="before",
    )
    @classmethod
    def _empty_number_is_default(cls, value: Any, info: ValidationInfo) -> Any:
        """The older connector's spec wrote "" for an unset session_duration; "" and null mean the default. true and
        false are not numbers (pydantic would read them as 1 and 0), nor are NaN and infinity."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return cls.model_fields[str(info.field_name)].default
        if isinstance(value, bool):
            raise ValueError("must be a number, not true or false")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("start_date", mode="before")
    @classmethod
    def _blank_date_is_unset(cls, value: Any) -> Any:
        return None if value == "" else value

    _flow_log_format = field_validator("vpc_flow_log_format")(check_flow_log_format)

    @field_validator("message_format", mode="before")
    @classmethod
    def _blank_format_is_raw(cls, value: Any) -> Any:
        return "raw" if value in (None, "") else value

    @field_validator("account_identifiers")
    @classmethod
    def _account_identifiers(cls, value: list[str] | None) -> list[str] | None:
        if not value:
            return None
        if len(value) > MAX_ACCOUNT_IDENTIFIERS:
            raise ValueError(f"lists {len(value)} accounts; DescribeLogGroups takes at most {MAX_ACCOUNT_IDENTIFIERS}")
        for index, account in enumerate(value):
            if not re.fullmatch(r"[0-9]{12}", str(account).strip()):
                raise ValueError(f"item {index} is not a 12-digit AWS account ID")
        return [str(account).strip() for account in value]

    @field_validator("region_name")
    @classmethod
    def _region(cls, value: str) -> str:
        if not re.fullmatch(REGION_PATTERN, value):
            raise ValueError("is not an AWS region name; use one like us-east-1 or eu-west-2")
        return value

    @field_validator("role_arn")
    @classmethod
    def _role_arn(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(ROLE_ARN_PATTERN, value, flags=re.ASCII):
            raise ValueError("must look like arn:aws:iam::123456789012:role/role-name")
        return value

    @field_validator("role_external_id")
    @classmethod
    def _external_id(cls, value: str | None) -> str | None:
        # STS's pattern [\w+=,.@:/-]; its \w is ASCII-only (re.ASCII), so "é" is refused here and not by STS.
        if value is not None and not re.fullmatch(r"[\w+=,.@:/-]{2,1224}", value, flags=re.ASCII):
            raise ValueError("must be 2 to 1224 characters of letters, digits and +=,.@:/-_")
        return value

    @field_validator("start_date")
    @classmethod
    def _start_date(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            parsed = datetime.strptime(value, START_DATE_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise ValueError("is not a valid date; use the format YYYY-MM-DDTHH:mm:ssZ") from None
        if parsed > datetime.now(UTC):
            raise ValueError("is in the future; nothing could be read")
        return value

    @field_validator("endpoint_url", "sts_endpoint_url")
    @classmethod
    def _endpoint_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parsed = urlparse(value)
        if parsed.scheme not in {"http", "https"} or not parsed.netloc:
            raise ValueError("must be an http:// or https:// URL, e.g. https://logs.us-east-1.amazonaws.com")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> CloudWatchLogsConfig:
        if bool(self.aws_access_key_id) != bool(self.aws_secret_access_key):
            raise ValueError(
                "aws_access_key_id and aws_secret_access_key go together: set both, "
                "or neither to use the default AWS credential chain"
            )
        names = [report.name for report in self.custom_log_reports or []]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"custom_log_reports: duplicate stream name(s) {duplicates}; each name must be unique")
        return self

    @property
    def start_date_ms(self) -> int | None:
        if self.start_date is None:
            return None
        parsed = datetime.strptime(self.start_date, START_DATE_FORMAT).replace(tzinfo=UTC)
        return int(parsed.timestamp()) * 1000


def _describe(error: ValidationError) -> str:
    """One line per problem, naming the field; never echoes the input (it may be a secret)."""
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        location = ".".join(str(part) if not isinstance(part, int) else f"[{part}]" for part in item["loc"])
        location = location.replace(".[", "[")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            message = "is required"
        problems.append(f"`{location}` {message}" if location else message)
    return "; ".join(problems)


def config_error(message: str, internal: str | None = None) -> AirbyteTracedException:
    return AirbyteTracedException(
        message=message, internal_message=internal or message, failure_type=FailureType.config_error
    )


def parse_config(raw: Mapping[str, Any]) -> CloudWatchLogsConfig:
    if not isinstance(raw, Mapping):
        raise config_error("The configuration must be a JSON object.")
    try:
        config = CloudWatchLogsConfig.model_validate(raw)
    except ValidationError as error:
        raise config_error(f"Invalid configuration: {_describe(error)}.") from None
    for secret in (config.aws_access_key_id, config.aws_secret_access_key, config.aws_session_token):
        if secret is not None:  # the CDK's filter knows the raw values; the stripped ones are the ones sent
            add_to_secrets(secret.get_secret_value())
    return config


def aws_settings(config: CloudWatchLogsConfig) -> AwsSettings:
    """What the AWS layer reads of the config; every secret it obtains on its own (an assumed role's keys) is
    registered with the CDK's secret filter, as the config's keys are by `parse_config`."""
    return AwsSettings(
        region=config.region_name,
        endpoint_url=config.endpoint_url,
        access_key_id=_revealed(config.aws_access_key_id),
        secret_access_key=_revealed(config.aws_secret_access_key),
        session_token=_revealed(config.aws_session_token),
        role_arn=config.role_arn,
        role_external_id=config.role_external_id,
        session_duration_s=config.session_duration,
        sts_endpoint_url=config.sts_endpoint_url,
        requests_per_second=config.requests_per_second,
        hide=add_to_secrets,
    )


def _revealed(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None


def connection_specification() -> dict[str, Any]:
    """The model's JSON schema, reshaped into what the Airbyte UI renders well.

    pydantic writes optional fields as `anyOf: [X, null]` and nested models as `$ref`s; the UI wants
    plain types and inline objects.
    """
    schema = copy.deepcopy(CloudWatchLogsConfig.model_json_schema())
    definitions = schema.pop("$defs", {})

    def simplify(node: Any) -> Any:
        if isinstance(node, list):
            return [simplify(item) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            target = copy.deepcopy(definitions[node.pop("$ref").split("/")[-1]])
            node = {**target, **node}
        if "anyOf" in node:
            options = [option for option in node.pop("anyOf") if option.get("type") != "null"]
            if len(options) == 1:
                node = {**simplify(options[0]), **node}
        if node.get("default", 0) is None:
            del node["default"]
        if node.get("format") == "password":  # pydantic's SecretStr; the UI masks via airbyte_secret
            del node["format"]
            node.pop("writeOnly", None)
        return {key: simplify(value) for key, value in node.items()}

    spec: dict[str, Any] = simplify(schema)
    spec["$schema"] = "http://json-schema.org/draft-07/schema#"
    spec["additionalProperties"] = True
    return spec
