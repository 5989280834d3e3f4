"""What a stream looks like to Airbyte: its record schema, primary key, cursor field and catalog entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airbyte_cdk.models import AirbyteStream, SyncMode

PRIMARY_KEY = "eventId"
CURSOR_FIELD = "timestamp"  # the record column, and the key of a stream's state

RECORD_SCHEMA: Mapping[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": True,
    "properties": {
        PRIMARY_KEY: {"type": "string", "description": "CloudWatch's unique ID of the event."},
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
    },
}


def catalog_stream(name: str) -> AirbyteStream:
    return AirbyteStream(
        name=name,
        json_schema=dict(RECORD_SCHEMA),
        supported_sync_modes=[SyncMode.full_refresh, SyncMode.incremental],
        source_defined_cursor=True,
        default_cursor_field=[CURSOR_FIELD],
        source_defined_primary_key=[[PRIMARY_KEY]],
        is_resumable=True,
    )
