"""How a page of records leaves a window's partition: one decision, made by whoever builds the source.

- `PlainRecords` (the default): one CDK record per event, as every in-process user of the source expects (the
  CDK's test entry point, its standard tests).
- `BatchedRecords`: the connector's own entry point (run.py) chooses it. A page travels as one CDK record that
  carries a `batches.RecordBatch`: its events serialised into RECORD lines by the worker thread that read them,
  which run.py writes as they are. Why, and what in the CDK it relies on: docs/design/batch-path.md; the test
  that the lines equal the CDK's own: integration_tests/test_batches.py; the test that fails when the CDK pieces
  it relies on change: unit_tests/test_output.py.

Partitions (streams.py) hand every page to the output they were given and never ask which one it is.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any, Protocol

from airbyte_cdk.sources.types import Record, StreamSlice

from source_cloudwatch_logs.batches import RecordBatch
from source_cloudwatch_logs.progress import SyncProgress

Event = dict[str, Any]
# (a page's events, popping) -> the records' data, in order; popping: taken from the end of the reversed page,
# each dropped from it as it goes
RecordsOf = Callable[[list[Event], bool], Iterator[dict[str, Any]]]

QUEUE_SIZE = 10_000  # records, statuses, states and logs on their way to the main thread
BATCHED_QUEUE_SIZE = 8  # the same when a record is a page of up to 10,000 (batches.py)


class RecordOutput(Protocol):
    @property
    def queue_size(self) -> int:
        """How many items the CDK's queue to the main thread holds."""
        ...

    @property
    def message_fragments(self) -> bool:
        """Whether `message_json` may be the message's own text, written as is (formats.MessageParser)."""
        ...

    def page(
        self, *, stream: str, stream_slice: StreamSlice, events: list[Event], records_of: RecordsOf
    ) -> Iterable[Record]:
        """The page's records as the CDK's path carries them. Called while the page holds its request slot:
        work done here is paced with the request; what the returned iterable does later is not."""
        ...

    def read_logger(self, logger: logging.Logger, progress: SyncProgress) -> logging.Logger:
        """The logger the CDK's concurrent read logs with."""
        ...


class PlainRecords:
    """One CDK record per event."""

    queue_size = QUEUE_SIZE
    message_fragments = False

    def page(
        self, *, stream: str, stream_slice: StreamSlice, events: list[Event], records_of: RecordsOf
    ) -> Iterator[Record]:
        # Hand events over one by one, dropping each from the page as it goes: the page does not keep 10,000
        # already-written events alive while the worker waits for room in the queue.
        events.reverse()
        return (
            Record(data=data, stream_name=stream, associated_slice=stream_slice) for data in records_of(events, True)
        )

    def read_logger(self, logger: logging.Logger, progress: SyncProgress) -> logging.Logger:
        return logger


class BatchedRecords:
    """A page as one CDK record carrying its RECORD lines, serialised now (batches.py)."""

    queue_size = BATCHED_QUEUE_SIZE
    message_fragments = True

    def page(
        self, *, stream: str, stream_slice: StreamSlice, events: list[Event], records_of: RecordsOf
    ) -> list[Record]:
        if not events:
            return []
        data = RecordBatch.of(stream, records_of(events, False)).as_data()
        return [Record(data=data, stream_name=stream, associated_slice=stream_slice)]

    def read_logger(self, logger: logging.Logger, progress: SyncProgress) -> logging.Logger:
        return RecordCounts(logger, progress)  # type: ignore[return-value]


class RecordCounts(logging.LoggerAdapter):  # type: ignore[type-arg]
    """The CDK's logger for its concurrent read, with the records it counts per stream made right: it counts the
    records it handled, a batch for one. Its "Read N records from S stream" line (READ_LINE) says the events
    instead."""

    READ_LINE = re.compile(r"Read \d+ records from (.+) stream")

    def __init__(self, logger: logging.Logger, progress: SyncProgress) -> None:
        super().__init__(logger, {})
        self._progress = progress

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, MutableMapping[str, Any]]:
        match = self.READ_LINE.fullmatch(msg) if isinstance(msg, str) else None
        if match:
            msg = f"Read {self._progress.events_of(match.group(1))} records from {match.group(1)} stream"
        return msg, kwargs
