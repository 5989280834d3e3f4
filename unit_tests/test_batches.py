"""A batch's lines are what the CDK writes for the same records; the CDK's record count is made right."""

from __future__ import annotations

import json
import logging

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage, Type
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.utils.record_helper import stream_data_to_airbyte_message

from source_cloudwatch_logs.aws.pacing import ApiStats
from source_cloudwatch_logs.batches import RecordBatch, batch_in
from source_cloudwatch_logs.output import RecordCounts
from source_cloudwatch_logs.progress import SyncProgress

RECORDS = [
    {"eventId": "1", "timestamp": 5, "message": 'a "b" \\ \n\t\x00 日 😀', "logGroupName": "/g"},
    {"eventId": "2", "timestamp": 6, "message": "", "extra": [1, 2.5, None, True]},
]


def test_a_batch_is_the_cdk_s_lines_for_its_records() -> None:
    batch = RecordBatch.of("/g", RECORDS)
    lines = batch.lines.decode().split("\n")
    assert batch.count == len(lines) == 2 and batch.stream == "/g"
    for line, record in zip(lines, RECORDS, strict=True):
        message = stream_data_to_airbyte_message("/g", record)
        emitted_at = line.rsplit('"emitted_at":', 1)[1].rstrip("}")
        message.record.emitted_at = int(emitted_at)  # type: ignore[union-attr]
        assert line == AirbyteEntrypoint.airbyte_message_to_string(message)


def test_a_batch_is_found_in_the_record_that_carries_it() -> None:
    batch = RecordBatch.of("/g", RECORDS)
    carrier = stream_data_to_airbyte_message("/g", batch.as_data())  # what the CDK makes of the carrying record
    assert batch_in(carrier) is batch
    plain = AirbyteMessage(type=Type.RECORD, record=AirbyteRecordMessage(stream="/g", data=RECORDS[0], emitted_at=1))
    assert batch_in(plain) is None
    assert batch_in(AirbyteMessage(type=Type.LOG)) is None


def test_the_cdk_s_read_count_says_records_not_batches() -> None:
    progress = SyncProgress(InMemoryMessageRepository(), ApiStats(), total_streams=1)
    progress.stream_started("/g", "1 window")
    progress.page_done("/g", 9_999)
    logger = RecordCounts(logging.getLogger("test"), progress)
    assert logger.process("Read 1 records from /g stream", {}) == ("Read 9999 records from /g stream", {})
    assert logger.process("Marking stream /g as RUNNING", {}) == ("Marking stream /g as RUNNING", {})


def test_a_lone_surrogate_is_written_as_the_replacement_character_and_the_page_stays_whole() -> None:
    """Issue 20 item 12: a Logs Insights field can carry half of a UTF-16 pair (a JSON log's `\\ud83d` escape);
    UTF-8 cannot, so it becomes U+FFFD and every other character and record is written as it is."""
    batch = RecordBatch.of("s", [{"m": "ok é"}, {"m": "half \ud83d pair", "n": ["\udc00"], "k": {"\ud800": 1}}])
    lines = [json.loads(line) for line in batch.lines.decode("utf-8").split("\n")]
    assert [line["record"]["data"] for line in lines] == [
        {"m": "ok é"},
        {"m": "half \ufffd pair", "n": ["\ufffd"], "k": {"\ufffd": 1}},
    ]
