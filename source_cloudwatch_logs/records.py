"""What a stream looks like to Airbyte: its record schema, primary key, cursor field and catalog entry."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from airbyte_cdk.models import AirbyteStream, SyncMode

from source_cloudwatch_logs.aws.queries import ReservedColumns
from source_cloudwatch_logs.formats import AUTO, vpc_column
from source_cloudwatch_logs.formats import columns as format_columns

PRIMARY_KEY = "eventId"
# Destinations make table names of stream names: lower-cased, other characters than letters and digits as `_`,
# and cut at their identifier limit (Postgres: 63 bytes; file-based caches also fail past 255).
IDENTIFIER_LIMIT = 63
CURSOR_FIELD = "timestamp"  # the record column, and the key of a stream's state

RECORD_SCHEMA: Mapping[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": True,
    "properties": {
        PRIMARY_KEY: {
            "type": "string",
            "description": "CloudWatch's unique ID of the event; a digest of the event for Logs Insights streams.",
        },
        CURSOR_FIELD: {"type": "integer", "description": "Event time, epoch milliseconds."},
        "event_time": {
            "type": "string",
            "format": "date-time",
            "airbyte_type": "timestamp_with_timezone",
            "description": "Event time as an ISO-8601 UTC timestamp.",
        },
        "message": {"type": ["null", "string"], "description": "The raw log line."},
        "logStreamName": {"type": "string"},
        "ingestionTime": {"type": ["null", "integer"], "description": "Ingestion time, epoch milliseconds."},
        "logGroupName": {"type": "string"},
        "accountId": {"type": ["null", "string"], "description": "The AWS account that owns the log group."},
        "awsRegion": {"type": "string", "description": "The AWS region of the log group."},
    },
}

# The connector's own columns (every record's, and every one a message format adds, a custom VPC flow log format's
# of any `vpc_` name): a custom report's field of one of these names gets a column of its own (aws/queries.py).
CONNECTOR_COLUMNS = ReservedColumns(
    names=frozenset(RECORD_SCHEMA["properties"]) | frozenset(format_columns(AUTO)), prefixes=(vpc_column(""),)
)


def record_schema(
    columns: Mapping[str, str] | None = None, parsed: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, Any]:
    """The schema of every stream, plus a query report's own columns (name -> "number" or "string") and the
    columns its message format adds (formats.py)."""
    properties = dict(RECORD_SCHEMA["properties"])
    for name, kind in (columns or {}).items():
        properties[name] = {"type": ["null", kind]}
    properties.update(parsed or {})
    return {**RECORD_SCHEMA, "properties": properties}


def catalog_stream(name: str, schema: Mapping[str, Any] = RECORD_SCHEMA) -> AirbyteStream:
    return AirbyteStream(
        name=name,
        json_schema=dict(schema),
        supported_sync_modes=[SyncMode.full_refresh, SyncMode.incremental],
        source_defined_cursor=True,
        default_cursor_field=[CURSOR_FIELD],
        source_defined_primary_key=[[PRIMARY_KEY]],
        is_resumable=True,
    )


def normalised(name: str) -> str:
    """A stream name as destinations usually turn it into a table name."""
    return re.sub(r"[^a-z0-9]", "_", name.lower())


def destination_name_problems(names: Iterable[str]) -> list[str]:
    """Stream names that would share a table, or be cut, once destinations normalise them: one line each."""
    names = sorted(names)
    by_table: defaultdict[str, list[str]] = defaultdict(list)
    for name in names:
        by_table[normalised(name)].append(name)
    problems = [
        f"Streams {', '.join(repr(n) for n in same)} all become table '{table}' in most destinations "
        "and would overwrite each other: select only one, or read them through custom reports with distinct names."
        for table, same in sorted(by_table.items())
        if len(same) > 1
    ]
    problems += [
        f"Stream '{name[:40]}...' has a {len(name)}-character name: destinations cut table names "
        f"(Postgres at {IDENTIFIER_LIMIT}) and some fail on it; read it through a custom report with a short name."
        for name in names
        if len(name) > IDENTIFIER_LIMIT
    ]
    return problems
