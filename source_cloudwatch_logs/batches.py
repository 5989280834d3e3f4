"""Records in batches: the events of one page serialised into Airbyte RECORD lines by the worker that read them.

The CDK's concurrent path builds, queues, converts and serialises one message per record on its main thread,
which capped a sync at about 74k records/s on one core. When the connector runs from its own entry point
(run.py, which chooses output.BatchedRecords), each page instead travels as one record of the CDK's path whose
data holds a `RecordBatch`: the queue, the stream statuses and the STATE ordering are the CDK's, one item per
page, and the entry point writes the batch's lines as they are. The lines are exactly what the CDK would write for the same records
(`AirbyteEntrypoint.airbyte_message_to_string`); integration_tests/test_batches.py runs both paths on one
scenario and compares their messages byte for byte. Anything else reading the source in-process (the CDK's test
entry point, its standard tests) gets plain records.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from airbyte_cdk.models import AirbyteMessage, Type

BATCH_KEY = "__source_cloudwatch_logs_record_batch__"
_SURROGATE = re.compile("[\ud800-\udfff]")  # in a Python string, a surrogate is always a lone one


@dataclass(frozen=True)
class RecordBatch:
    stream: str
    count: int
    lines: bytes  # `count` RECORD lines of `stream` (UTF-8), separated by newlines, without a final one

    @classmethod
    def of(cls, stream: str, records: Iterable[Mapping[str, Any]]) -> RecordBatch:
        """The RECORD lines of `records` (each a record's data), emitted now."""
        head = b'{"type":"RECORD","record":{"stream":' + orjson.dumps(stream) + b',"data":'
        tail = b',"emitted_at":' + str(time.time_ns() // 1_000_000).encode() + b"}}"
        dumps = orjson.dumps
        records = records if isinstance(records, list) else list(records)
        try:
            lines = [head + dumps(record) + tail for record in records]
        except TypeError:  # a lone surrogate (orjson writes only valid UTF-8): the page again, record by record
            lines = [head + _dumps_valid(record) + tail for record in records]
        return cls(stream=stream, count=len(lines), lines=b"\n".join(lines))

    def as_data(self) -> dict[str, Any]:
        """The data of the one CDK record that carries this batch."""
        return {BATCH_KEY: self}


def _dumps_valid(record: Mapping[str, Any]) -> bytes:
    """A record as JSON, its lone surrogates (half of a UTF-16 pair, which an event's JSON escapes can carry and
    UTF-8 cannot) written as U+FFFD, the replacement character: the rest of the text is kept as it is."""
    try:
        return orjson.dumps(record)
    except TypeError:
        return orjson.dumps(_valid_text(record))


def _valid_text(value: Any) -> Any:
    if isinstance(value, str):
        return value if value.isascii() else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, Mapping):
        return {_valid_text(key): _valid_text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_valid_text(item) for item in value]
    return value


def batch_in(message: AirbyteMessage) -> RecordBatch | None:
    """The batch a RECORD message carries, if it carries one."""
    if message.type != Type.RECORD or message.record is None:
        return None
    batch = message.record.data.get(BATCH_KEY)
    return batch if isinstance(batch, RecordBatch) else None
