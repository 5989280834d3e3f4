"""The two outputs give the same records, and the CDK pieces the batched path relies on are still what it was
written against: each test below fails with a message saying which piece changed and what to re-check
(docs/design/batch-path.md)."""

from __future__ import annotations

import ast
import inspect
import logging
import re
import textwrap
from collections import defaultdict
from typing import Any

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import PRINT_BUFFER
from airbyte_cdk.models import AirbyteMessage, Type
from airbyte_cdk.sources.concurrent_source.concurrent_read_processor import ConcurrentReadProcessor
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.sources.utils.record_helper import stream_data_to_airbyte_message

from source_cloudwatch_logs.aws.pacing import ApiStats
from source_cloudwatch_logs.batches import BATCH_KEY, RecordBatch, batch_in
from source_cloudwatch_logs.output import (
    BATCHED_QUEUE_SIZE,
    QUEUE_SIZE,
    BatchedRecords,
    PlainRecords,
    RecordCounts,
)
from source_cloudwatch_logs.progress import SyncProgress
from source_cloudwatch_logs.run import Entrypoint

SLICE = StreamSlice(partition={}, cursor_slice={"start_time": 0, "end_time": 10})
CHANGED = "the CDK changed under the batched record path (run.py, output.py, batches.py): "


def _events() -> list[dict[str, Any]]:
    return [{"eventId": str(n), "timestamp": n, "message": f"m{n}", "logStreamName": "s"} for n in range(5)]


def _records_of(events: list[dict[str, Any]], popping: bool) -> Any:
    while popping and events:
        yield {**events.pop(), "seen": True}
    if not popping:
        yield from ({**event, "seen": True} for event in events)


def test_plain_records_are_one_per_event_in_order_and_the_page_is_emptied_as_they_go() -> None:
    events = _events()
    records = iter(PlainRecords().page(stream="g", stream_slice=SLICE, events=events, records_of=_records_of))
    first = next(records)
    assert first.data == {"eventId": "0", "timestamp": 0, "message": "m0", "logStreamName": "s", "seen": True}
    assert (first.stream_name, first.associated_slice) == ("g", SLICE)
    assert len(events) == 4  # handed over one by one: the page keeps only what is still to come
    assert [record.data["eventId"] for record in records] == ["1", "2", "3", "4"]
    assert events == []


def test_batched_records_are_one_record_carrying_the_cdk_s_lines_of_the_page() -> None:
    records = BatchedRecords().page(stream="g", stream_slice=SLICE, events=_events(), records_of=_records_of)
    assert len(records) == 1
    batch = records[0].data[BATCH_KEY]
    assert isinstance(batch, RecordBatch) and (batch.stream, batch.count) == ("g", 5)
    plain = PlainRecords().page(stream="g", stream_slice=SLICE, events=_events(), records_of=_records_of)
    lines = [line for line in batch.lines.decode().split("\n")]
    expected = [
        AirbyteEntrypoint.airbyte_message_to_string(stream_data_to_airbyte_message("g", record.data))
        for record in plain
    ]
    assert [re.sub(r'"emitted_at":\d+', "", line) for line in lines] == [
        re.sub(r'"emitted_at":\d+', "", line) for line in expected
    ]
    assert BatchedRecords().page(stream="g", stream_slice=SLICE, events=[], records_of=_records_of) == []


def test_each_output_sizes_the_queue_and_says_whether_message_json_may_be_a_fragment() -> None:
    assert (PlainRecords.queue_size, PlainRecords.message_fragments) == (QUEUE_SIZE, False)
    assert (BatchedRecords.queue_size, BatchedRecords.message_fragments) == (BATCHED_QUEUE_SIZE, True)
    progress = SyncProgress(None, ApiStats(), total_streams=1)  # type: ignore[arg-type]
    logger = logging.getLogger("test")
    assert PlainRecords().read_logger(logger, progress) is logger
    assert isinstance(BatchedRecords().read_logger(logger, progress), RecordCounts)


# The CDK pieces the batched path relies on. ------------------------------------------------------------------


def _self_calls(function: Any) -> list[str]:
    """The `self.<name>(...)` and `self.source.<name>(...)` calls of a method, in source order."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    calls = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = ast.unparse(node.func.value)
            if target in ("self", "self.source"):
                calls.append((node.lineno, node.col_offset, f"{target}.{node.func.attr}"))
    return [name for _, _, name in sorted(calls)]


def test_the_cdk_read_branch_that_entrypoint_lines_re_implements_is_unchanged() -> None:
    """run.Entrypoint.lines repeats the read branch of AirbyteEntrypoint.run (then yields batches as bytes)."""
    calls = [call for call in _self_calls(AirbyteEntrypoint.run) if call != "self.airbyte_message_to_string"]
    assert calls == [
        "self.source.spec",
        "self._emit_queued_messages",
        "self.source.read_config",
        "self.source.configure",
        "self._emit_queued_messages",
        "self.check",
        "self.discover",
        "self.source.read_catalog",
        "self.source.read_state",
        "self.read",
        "self._emit_queued_messages",
    ], CHANGED + "AirbyteEntrypoint.run calls other steps now; compare its read branch with Entrypoint.lines"


def test_the_cdk_entrypoint_methods_the_batched_path_calls_or_overrides_keep_their_signatures() -> None:
    for name, parameters in {
        "read": ["self", "source_spec", "config", "catalog", "state"],
        "_emit_queued_messages": ["self", "source"],
    }.items():
        assert hasattr(AirbyteEntrypoint, name), CHANGED + f"AirbyteEntrypoint.{name} is gone"
        assert list(inspect.signature(getattr(AirbyteEntrypoint, name)).parameters) == parameters, (
            CHANGED + f"AirbyteEntrypoint.{name} takes other parameters now; run.Entrypoint.lines calls it"
        )
    for name, parameters in {
        "handle_record_counts": ["message", "stream_message_count"],
        "airbyte_message_to_string": ["airbyte_message"],
        "validate_connection": ["source_spec", "config"],
    }.items():
        assert isinstance(inspect.getattr_static(AirbyteEntrypoint, name), staticmethod), (
            CHANGED + f"AirbyteEntrypoint.{name} is no longer a staticmethod; run.Entrypoint overrides or calls it"
        )
        assert list(inspect.signature(getattr(AirbyteEntrypoint, name)).parameters) == parameters, (
            CHANGED + f"AirbyteEntrypoint.{name} takes other parameters now"
        )
    read_calls = _self_calls(AirbyteEntrypoint.read)
    assert read_calls.count("self.handle_record_counts") == 3, (
        CHANGED + "AirbyteEntrypoint.read no longer counts each message with self.handle_record_counts, which "
        "run.Entrypoint overrides to count a batch as its records"
    )


def test_a_record_s_data_reaches_the_message_as_the_same_object() -> None:
    batch = RecordBatch.of("g", [{"a": 1}])
    message = stream_data_to_airbyte_message("g", batch.as_data())
    assert isinstance(message, AirbyteMessage) and message.type == Type.RECORD
    assert batch_in(message) is batch, CHANGED + "stream_data_to_airbyte_message no longer passes a record's data on"


def test_the_cdk_s_read_count_line_is_the_one_record_counts_corrects() -> None:
    source = inspect.getsource(ConcurrentReadProcessor._on_stream_is_done)
    lines = re.findall(r'f"(Read \{[^"]*\} records from \{stream_name\} stream)"', source)
    assert lines, CHANGED + "ConcurrentReadProcessor._on_stream_is_done no longer logs 'Read N records from S stream'"
    filled = re.sub(r"\{[^}]*\}", "7", lines[0].replace("{stream_name}", "s"))
    assert RecordCounts.READ_LINE.fullmatch(filled), CHANGED + f"the CDK's line is now {lines[0]!r}"


def test_the_cdk_print_buffer_still_serialises_writers() -> None:
    for name in ("lock", "flush", "write", "__enter__", "__exit__"):
        assert hasattr(PRINT_BUFFER, name), CHANGED + f"airbyte_cdk.logger.PRINT_BUFFER has no {name} (run.write_bytes)"


def test_entrypoint_counts_a_batch_as_its_records() -> None:
    counts: defaultdict[Any, float] = defaultdict(float)
    message = stream_data_to_airbyte_message("g", RecordBatch.of("g", [{"a": 1}, {"a": 2}]).as_data())
    assert Entrypoint.handle_record_counts(message, counts) is message
    assert list(counts.values()) == [2.0]
