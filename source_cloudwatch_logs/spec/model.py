"""The connector's configuration: a pydantic model and its validation, one validator per rule.

Nothing else in the package reads the raw config mapping: `parse_config` turns it into a
`CloudWatchLogsConfig` or raises a `config_error` that names the offending field.

The flat keys and their meanings are those of Airbyte's older `source-cloudwatch-logs`, so existing
config files keep working unchanged; keys this model does not know are ignored. Spaces and line breaks
around a pasted value are never part of it, and an empty value means the field's default.
unit_tests/test_spec.py proves it (::test_a_config_of_the_older_connector_parses_unchanged,
::test_empty_optional_strings_mean_unset, ::test_each_bad_config_names_the_field).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import urlparse

from airbyte_cdk.utils.airbyte_secrets_utils import add_to_secrets
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
from source_cloudwatch_logs.ranges import MAX_BACKDATE_MS
from source_cloudwatch_logs.spec.errors import config_error, describe

START_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
START_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]{1,512}$"
MAX_LOG_STREAM_NAMES = 100  # FilterLogEvents accepts 1 to 100 logStreamNames
MAX_ACCOUNT_IDENTIFIERS = 20  # DescribeLogGroups accepts 1 to 20 accountIdentifiers
MAX_SWEEP_SPAN_HOURS = 360  # PutLogEvents refuses events more than 14 days old: the longest lag, plus a day


def stripped(cls: type[BaseModel], value: Any) -> Any:
    """Spaces and line breaks around a pasted value are never part of it (copy-paste adds them)."""
    return value.strip() if isinstance(value, str) else value


def blank_is_default(cls: type[BaseModel], value: Any, info: ValidationInfo) -> Any:
    """null and "" mean the field's default: the older connector's spec wrote "" for unset values."""
    return cls.model_fields[str(info.field_name)].default if value is None or value == "" else value


def check_flow_log_format(cls: type, value: str | None) -> str | None:
    """A VPC flow log format must name its fields (`${version} ${srcaddr} ...`)."""
    if value is not None:
        vpc_fields(value)
    return value


def _field(title: str, description: str, **extra: Any) -> Any:
    """A model field with the keys the Airbyte UI reads (`airbyte_secret`, `examples`, ...)."""
    default = extra.pop("default", None)
    bound_names = {"ge", "gt", "le", "max_length"}
    schema_extra = {k: v for k, v in extra.items() if k not in bound_names}
    bounds = {k: v for k, v in extra.items() if k in bound_names}
    return Field(default, title=title, description=description, json_schema_extra=schema_extra, **bounds)


_REPORT_STRINGS = ("log_group_name", "log_group_prefix", "vpc_flow_log_format", "query")


class CustomLogReport(BaseModel):
    """One extra stream: one log group, every log group whose name starts with a prefix, or a list of log groups
    (names or ARNs), narrowed to some log streams and/or a filter pattern, or read with a Logs Insights query."""

    model_config = ConfigDict(extra="ignore", title="Custom Log Report")

    name: str = Field(
        ...,
        min_length=1,
        title="Stream Name",
        description="Unique name of the stream this report produces.",
        json_schema_extra={"examples": ["api_errors"]},
    )
    log_group_name: str | None = _field(
        "Log Group Name",
        "The log group to read: its name, or its ARN for a linked source account's group "
        "(arn:aws:logs:<region>:<account id>:log-group:<name>). Set one of Log Group Name, Log Group Prefix "
        "and Log Group Names.",
        examples=["/aws/lambda/checkout"],
    )
    log_group_prefix: str | None = _field(
        "Log Group Prefix (merged stream)",
        "One stream over every log group whose name starts with this prefix, those of today and those created "
        "later; records keep logGroupName. Each log group keeps its own position in the stream's state.",
        examples=["/aws/lambda/"],
    )
    log_group_names: list[str] | None = _field(
        "Log Group Names (merged stream)",
        "One stream over these log groups: names of the account's own groups, or ARNs of linked source accounts' "
        "groups (arn:aws:logs:<region>:<account id>:log-group:<name>). Each keeps its own position in the stream's "
        "state.",
        examples=[["/aws/lambda/orders", "/aws/lambda/payments"]],
    )
    message_format: Literal["raw", "json", "auto"] | None = _field(
        "Message Format",
        "Overrides the top-level Message Format for this report's stream.",
    )
    vpc_flow_log_format: str | None = _field(
        "VPC Flow Log Format",
        "With Message Format auto: the custom format of the VPC flow logs this report reads, as configured on the "
        "flow log. Leave empty for the default (version 2) format.",
        examples=["${version} ${vpc-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${action}"],
    )
    log_stream_names: list[str] | None = _field(
        "Log Stream Names",
        f"Only these log streams (at most {MAX_LOG_STREAM_NAMES}). Leave empty to read every log stream. "
        "Cannot be combined with Log Stream Name Prefix.",
    )
    log_stream_name_prefix: str | None = _field(
        "Log Stream Name Prefix",
        "Only log streams whose names start with this prefix. Cannot be combined with Log Stream Names.",
    )
    filter_pattern: str | None = _field(
        "Filter Pattern",
        "A CloudWatch Logs filter pattern; only matching events are read. "
        "See https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html",
        examples=['"ERROR"', "{ $.status >= 500 }"],
    )
    query: str | None = _field(
        "Logs Insights Query",
        "Makes this report a Logs Insights query stream: its records are the query's fields, incremental on "
        "@timestamp (always included). Works on Infrequent Access log groups too. Insights is billed per GB "
        "scanned: each sync scans the log groups' data in the range it reads. The commands stats, limit, dedup and "
        "display are refused. Cannot be combined with the log stream and filter pattern settings: filter in the query instead.",
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

    # pydantic runs "before" validators last-defined first: values are stripped, then a blank one is unset.
    _blank_is_default = field_validator(*_REPORT_STRINGS, mode="before")(blank_is_default)
    _stripped = field_validator(*_REPORT_STRINGS, mode="before")(stripped)

    @field_validator("query")
    @classmethod
    def _query(cls, value: str | None) -> str | None:
        problem = None if value is None else query_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

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


_OPTIONAL_STRINGS = (
    "role_arn",
    "role_external_id",
    "log_group_prefix",
    "endpoint_url",
    "sts_endpoint_url",
    "vpc_flow_log_format",
)
_SECRETS = ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")
_NUMBERS = (
    "session_duration",
    "ingestion_delay_seconds",
    "lookback_window_seconds",
    "max_lookback_seconds",
    "late_sweep_interval_hours",
    "late_sweep_span_hours",
    "num_workers",
    "requests_per_second",
    "max_concurrent_queries",
)


class CloudWatchLogsConfig(BaseModel):
    model_config = ConfigDict(extra="ignore", title="CloudWatch Logs Source Spec")

    region_name: str = Field(
        ...,
        title="AWS Region",
        description="The AWS region of the log groups, e.g. us-east-1.",
        json_schema_extra={"pattern": REGION_PATTERN, "examples": ["us-east-1", "eu-west-2"]},
    )
    aws_access_key_id: SecretStr | None = _field(
        "AWS Access Key ID",
        "Access key of an IAM user. Leave empty to use the default AWS credential chain "
        "(environment, shared config/profile, container or instance role, web identity).",
        airbyte_secret=True,
    )
    aws_secret_access_key: SecretStr | None = _field(
        "AWS Secret Access Key", "Secret key that goes with the access key ID.", airbyte_secret=True
    )
    aws_session_token: SecretStr | None = _field(
        "AWS Session Token", "Session token, only for temporary credentials.", airbyte_secret=True
    )
    role_arn: str | None = _field(
        "AWS Role ARN",
        "IAM role to assume (STS AssumeRole) with the credentials above, e.g. to read another account.",
        examples=["arn:aws:iam::123456789012:role/airbyte-cloudwatch-reader"],
    )
    role_external_id: str | None = _field(
        "Role External ID",
        "ExternalId sent with AssumeRole, when the role's trust policy requires one.",
    )
    session_duration: int = _field(
        "Role Session Duration",
        "Duration of each assumed-role session in seconds (900 to 43200). "
        "Sessions are renewed automatically during long syncs.",
        default=3600,
        ge=900,
        le=43200,
    )
    log_group_prefix: str | None = _field(
        "Log Group Prefix",
        "Only log groups whose names start with this prefix become streams.",
        examples=["/aws/lambda/"],
    )
    custom_log_reports: list[CustomLogReport] | None = _field(
        "Custom Log Reports",
        "Extra streams. Each reads one log group, every log group whose name starts with a prefix, or a list of log "
        "groups (names or ARNs), narrowed to some log streams and/or a filter pattern, or with a Logs Insights query.",
    )
    start_date: str | None = _field(
        "Start Date",
        "UTC date and time in the format YYYY-MM-DDTHH:mm:ssZ. Events before it are not replicated. "
        "Leave empty to replicate everything the log groups still hold.",
        pattern=START_DATE_PATTERN,
        format="date-time",
        examples=["2026-01-01T00:00:00Z"],
    )
    endpoint_url: str | None = _field(
        "Endpoint URL",
        "Custom CloudWatch Logs endpoint, e.g. a VPC endpoint or LocalStack. Leave empty for AWS.",
        examples=["https://vpce-0123-abcd.logs.us-east-1.vpce.amazonaws.com"],
    )
    ingestion_delay_seconds: int = _field(
        "Ingestion Delay (seconds)",
        "A sync reads events only up to this many seconds before now, because CloudWatch makes events visible "
        "seconds to minutes after their timestamp. Later events are caught by the lookback.",
        default=300,
        ge=0,
        le=MAX_BACKDATE_MS // 1000,
    )
    lookback_window_seconds: int = _field(
        "Lookback Window (seconds)",
        "The least each incremental sync re-reads before the saved state. The connector re-reads more on its "
        "own when a stream's events arrive late (up to Max Lookback). Re-read events repeat with the same eventId.",
        default=0,
        ge=0,
        le=MAX_BACKDATE_MS // 1000,
    )
    max_lookback_seconds: int = _field(
        "Max Lookback (seconds)",
        "The most an incremental sync re-reads before the saved state, however late a stream's events arrive. "
        "Each sync may re-read this span of a busy log group; events later than it plus the ingestion delay are "
        "read only when the group is quiet around their timestamp, and the connector warns when it sees them.",
        default=3600,
        ge=0,
        le=MAX_BACKDATE_MS // 1000,
    )
    late_sweep_interval_hours: int = _field(
        "Late-Event Sweep Interval (hours)",
        "How often each stream is swept for events that arrived later than the lookback covers (a Logs Insights "
        "query per 50 log groups, then a re-read of exactly what it finds). 0: every sync.",
        default=24,
        ge=0,
        le=MAX_SWEEP_SPAN_HOURS,
    )
    late_sweep_span_hours: int = _field(
        "Late-Event Sweep Span (hours)",
        "How far back a sweep looks: with the sweep on, no event is lost whose lag is below the span minus the "
        "interval. Logs Insights bills the bytes the span holds, per GB scanned. 0 turns the sweep off; at most 360 "
        "(15 days: CloudWatch accepts no event more than 14 days old).",
        default=48,
        ge=0,
        le=MAX_SWEEP_SPAN_HOURS,
    )

    num_workers: int = _field(
        "Parallel Requests",
        "The most time windows and log groups read at once. The connector uses as many as its request rate needs "
        "to keep the quota busy at up to a second per request (27 at 25 requests per second); lower it to cap "
        "them.",
        default=32,
        ge=1,
        le=64,
    )
    requests_per_second: float | None = _field(
        "Requests per Second",
        "FilterLogEvents requests per second. Leave empty to use the region's published quota (25 in us-east-1, "
        "10 in most regions, 5 in a few). The quota is shared with every other client of the account in the region; "
        "the connector slows down by itself when throttled. Set it lower to leave room for others.",
        gt=0,
        le=1000,
    )

    sts_endpoint_url: str | None = _field(
        "STS Endpoint URL",
        "Custom STS endpoint for assuming the AWS Role ARN, e.g. an STS VPC endpoint. Leave empty for AWS's "
        "regional STS endpoint (or AWS_ENDPOINT_URL_STS). Endpoint URL is not used for STS.",
        examples=["https://vpce-0123-abcd.sts.us-east-1.vpce.amazonaws.com"],
    )

    include_linked_accounts: bool = _field(
        "Include Linked Accounts",
        "In a CloudWatch cross-account observability monitoring account: also replicate the log groups that linked "
        "source accounts share with it. Their streams are named <account id>:<log group name>.",
        default=False,
    )
    account_identifiers: list[str] | None = _field(
        "Linked Account IDs",
        f"With Include Linked Accounts: only these source accounts (12-digit account IDs, at most "
        f"{MAX_ACCOUNT_IDENTIFIERS}). Leave empty for every linked account.",
        examples=[["210987654321"]],
    )
    message_format: Literal["raw", "json", "auto"] = _field(
        "Message Format",
        "raw: records as CloudWatch returns them. json: adds message_json, the message as an object when it is a "
        "JSON object. auto: also adds typed columns for VPC flow logs, Lambda START/END/REPORT lines and API "
        "Gateway access logs (JSON presets). The raw message is always kept. Parsing costs CPU, not API calls.",
        default="raw",
    )
    vpc_flow_log_format: str | None = _field(
        "VPC Flow Log Format",
        "With Message Format auto: the custom format of your VPC flow logs, as configured on the flow log. Leave "
        "empty for the default (version 2) format. Custom reports can override it.",
        examples=["${version} ${vpc-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${action}"],
    )
    max_concurrent_queries: int = _field(
        "Concurrent Logs Insights Queries",
        "The most Logs Insights queries a sync runs at once (Infrequent Access log groups and query reports). The "
        "account's limit is shared with dashboards and other tools, and is lower for Infrequent Access log groups; "
        "the connector waits and retries when it is reached.",
        default=DEFAULT_MAX_CONCURRENT_QUERIES,
        ge=1,
        le=100,
    )

    # pydantic runs "before" validators last-defined first: values are stripped, then a blank one is the default.
    # start_date and message_format are not stripped: " " there is refused, as it always was.
    _blank_is_default = field_validator(
        *_OPTIONAL_STRINGS, *_SECRETS, *_NUMBERS, "start_date", "message_format", mode="before"
    )(blank_is_default)
    _stripped = field_validator("region_name", *_OPTIONAL_STRINGS, *_SECRETS, *_NUMBERS, mode="before")(stripped)

    @field_validator(*_SECRETS)
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        """Line breaks inside a secret would end up in an HTTP header."""
        if value is not None and any(character.isspace() for character in value.get_secret_value()):
            raise ValueError("contains spaces or line breaks; paste the value again without them")
        return value

    @field_validator(*_NUMBERS, mode="before")
    @classmethod
    def _number(cls, value: Any) -> Any:
        """true and false are not numbers (pydantic would read them as 1 and 0), nor are NaN and infinity."""
        if isinstance(value, bool):
            raise ValueError("must be a number, not true or false")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    _flow_log_format = field_validator("vpc_flow_log_format")(check_flow_log_format)

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


def parse_config(raw: Mapping[str, Any]) -> CloudWatchLogsConfig:
    if not isinstance(raw, Mapping):
        raise config_error("The configuration must be a JSON object.")
    try:
        config = CloudWatchLogsConfig.model_validate(raw)
    except ValidationError as error:
        raise config_error(f"Invalid configuration: {describe(error)}.") from None
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
