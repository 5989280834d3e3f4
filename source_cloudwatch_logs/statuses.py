"""A stream's waits for a quota as the Airbyte stream statuses the platform understands.

The AWS layer tells who waits (aws/waits.py: once per waiting stretch longer than RATE_LIMITED_AFTER_S, and once
when the stream proceeds); `WaitStatuses.on_wait` turns that into a STREAM_STATUS trace with status RUNNING and
the reason RATE_LIMITED (its `quota_reset`: when the wait is expected to end, epoch ms), then a plain RUNNING, as
the CDK's HTTP client does for a rate-limited HTTP stream. They go through the sync's message repository, from the
thread that waits, while it reads one of the stream's windows: they are on the queue before the window's end, so
never after the stream's COMPLETE. Tests: unit_tests/test_statuses.py; through the entry point, under sustained
throttling, integration_tests/test_faults.py.
"""

from __future__ import annotations

from airbyte_cdk.models import (
    AirbyteStreamStatus,
    AirbyteStreamStatusReason,
    AirbyteStreamStatusReasonType,
    StreamDescriptor,
)
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status_message
from airbyte_protocol_dataclasses.models import AirbyteStreamStatusRateLimitedReason  # not re-exported by the CDK


class WaitStatuses:
    """An `aws.waits.WaitObserver` that emits stream statuses on the sync's repository."""

    def __init__(self, *, repository: MessageRepository) -> None:
        self._repository = repository

    def on_wait(self, stream: str, waiting: bool, resume_at_ms: int | None) -> None:
        reasons = (
            [
                AirbyteStreamStatusReason(
                    type=AirbyteStreamStatusReasonType.RATE_LIMITED,
                    rate_limited=AirbyteStreamStatusRateLimitedReason(quota_reset=resume_at_ms),
                )
            ]
            if waiting
            else None
        )
        descriptor = StreamDescriptor(name=stream)
        self._repository.emit_message(stream_status_message(descriptor, AirbyteStreamStatus.RUNNING, reasons))
