"""The catalog entry of every stream: cursor, primary key and schema agree."""

from __future__ import annotations

from airbyte_cdk.models import SyncMode

from source_cloudwatch_logs.records import (
    CURSOR_FIELD,
    PRIMARY_KEY,
    RECORD_SCHEMA,
    catalog_stream,
    destination_name_problems,
)


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


def test_names_that_destinations_merge_or_cut_are_reported() -> None:
    """Issue 15 item 13: these three landed in one DuckDB table, and a 512-character name broke PyAirbyte."""
    long_name = "/aws/lambda/" + "x" * 500
    problems = destination_name_problems(
        ["/aws/lambda/order-handler", "_aws_lambda_order_handler", "/AWS/lambda/Order-Handler", "fine", long_name]
    )
    assert problems == [
        "Streams '/AWS/lambda/Order-Handler', '/aws/lambda/order-handler', '_aws_lambda_order_handler' all become "
        "table '_aws_lambda_order_handler' in most destinations and would overwrite each other: select only one, or "
        "read them through custom reports with distinct names.",
        f"Stream '{long_name[:40]}...' has a 512-character name: destinations cut table names (Postgres at 63) and "
        "some fail on it; read it through a custom report with a short name.",
    ]
    assert destination_name_problems(["a", "b"]) == []
