"""The catalog entry of every stream: cursor, primary key and schema agree."""

from __future__ import annotations

from airbyte_cdk.models import SyncMode

from source_cloudwatch_logs.records import CURSOR_FIELD, PRIMARY_KEY, RECORD_SCHEMA, catalog_stream


def test_the_catalog_entry_names_columns_of_the_schema() -> None:
    stream = catalog_stream("/aws/lambda/x")
    assert (stream.name, stream.default_cursor_field, stream.source_defined_primary_key) == (
        "/aws/lambda/x",
        ["timestamp"],
        [["eventId"]],
    )
    assert {CURSOR_FIELD, PRIMARY_KEY} <= set(RECORD_SCHEMA["properties"])
    assert stream.supported_sync_modes == [SyncMode.full_refresh, SyncMode.incremental]
    assert stream.source_defined_cursor and stream.is_resumable
