"""A stream's waits for a quota as RUNNING stream statuses (statuses.py): with the reason RATE_LIMITED and its
quota_reset while it waits, plain when it proceeds, on the sync's repository, read back as the CDK reads them."""

from __future__ import annotations

import orjson
from airbyte_cdk.models import (
    AirbyteMessageSerializer,
    AirbyteStreamStatus,
    AirbyteStreamStatusReasonType,
    TraceType,
    Type,
)
from airbyte_cdk.sources.message import InMemoryMessageRepository

from source_cloudwatch_logs.statuses import WaitStatuses


def test_a_wait_is_a_rate_limited_running_status_and_proceeding_a_plain_one() -> None:
    repository = InMemoryMessageRepository()
    statuses = WaitStatuses(repository=repository)
    statuses.on_wait("/app/web", True, 1_700_000_012_345)
    statuses.on_wait("/app/web", False, None)
    statuses.on_wait("/app/db", True, None)  # resume time unknown
    lines = [orjson.dumps(AirbyteMessageSerializer.dump(m)) for m in repository.consume_queue()]
    messages = [AirbyteMessageSerializer.load(orjson.loads(line)) for line in lines]  # the wire, and back

    assert [m.type for m in messages] == [Type.TRACE] * 3
    traces = [m.trace for m in messages if m.trace is not None]
    assert [t.type for t in traces] == [TraceType.STREAM_STATUS] * 3
    statuses_ = [t.stream_status for t in traces if t.stream_status is not None]
    assert [(s.stream_descriptor.name, s.stream_descriptor.namespace) for s in statuses_] == [
        ("/app/web", None),
        ("/app/web", None),
        ("/app/db", None),
    ]
    assert [s.status for s in statuses_] == [AirbyteStreamStatus.RUNNING] * 3
    limited, plain, unknown = statuses_
    assert plain.reasons is None
    assert limited.reasons is not None and unknown.reasons is not None
    assert [(r.type, r.rate_limited and r.rate_limited.quota_reset) for r in limited.reasons] == [
        (AirbyteStreamStatusReasonType.RATE_LIMITED, 1_700_000_012_345)
    ]
    assert [(r.type, r.rate_limited and r.rate_limited.quota_reset) for r in unknown.reasons] == [
        (AirbyteStreamStatusReasonType.RATE_LIMITED, None)
    ]
    assert orjson.loads(lines[0])["trace"]["stream_status"]["reasons"] == [
        {"type": "RATE_LIMITED", "rate_limited": {"quota_reset": 1_700_000_012_345}}
    ]
