"""Clock skew: the machine's clock minutes ahead or behind loses no event. Faked: the connector's local
clock (`now_ms` as source.py sees it) is shifted in-process; moto's clock, which answers with an HTTP `Date`
header as CloudWatch does, stays right. The read end must follow CloudWatch's clock."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from airbyte_cdk.models.airbyte_protocol_serializers import AirbyteStreamSerializer

from source_cloudwatch_logs import plan
from source_cloudwatch_logs.records import catalog_stream
from testkit.connector import NO_SWEEP, config, configured_catalog, read_in_process
from testkit.messages import state_entry
from testkit.seeding import Event, now_ms, put_events

DELAY_S = 60


def _read(endpoint: str, delay_s: int, state: list[dict[str, Any]] | None = None) -> tuple[list[Event], int, list[str]]:
    catalog = configured_catalog({"streams": [AirbyteStreamSerializer.dump(catalog_stream("g"))]})
    run = read_in_process(config(endpoint, ingestion_delay_seconds=delay_s, **NO_SWEEP), catalog, state)
    events = sorted(
        (m["record"]["data"]["timestamp"], m["record"]["data"]["message"])
        for m in run.messages
        if m["type"] == "RECORD"
    )
    states = [m["state"]["stream"]["stream_state"]["timestamp"] for m in run.messages if m["type"] == "STATE"]
    logs = [m["log"]["message"] for m in run.messages if m["type"] == "LOG"]
    return events, states[-1], logs


@pytest.mark.parametrize("skew_s", [-600, 600], ids=["behind", "ahead"])
def test_a_skewed_local_clock_neither_skips_nor_loses_events(
    monkeypatch: pytest.MonkeyPatch, logs: Any, endpoint: str, skew_s: int
) -> None:
    real_now = now_ms()
    settled, recent = (real_now - 5 * DELAY_S * 1000, "settled"), (real_now - DELAY_S * 1000 // 2, "inside the delay")
    put_events(logs, "g", "s", [settled, recent])
    monkeypatch.setattr(plan, "now_ms", lambda: time.time_ns() // 1_000_000 + skew_s * 1000)

    events, position, lines = _read(endpoint, DELAY_S)

    # The read ended at CloudWatch's now minus the delay (moto's Date header has whole seconds), not at the
    # skewed local clock's: ten minutes ahead would have read "inside the delay" early and could skip events
    # still arriving; ten minutes behind would have read nothing new.
    assert events == [settled]
    assert real_now - DELAY_S * 1000 - 1_000 <= position <= now_ms() - DELAY_S * 1000
    (warning,) = [line for line in lines if line.startswith("The local clock is")]
    assert re.fullmatch(r"The local clock is [+-]\d+ s off CloudWatch's; the connector uses CloudWatch's\.", warning)
    assert abs(int(warning.split()[4]) - skew_s) <= 2

    # The next sync, clock still skewed, delay lowered to read up to now: exactly what the first one left.
    late = (position + 1, "arrived after the first sync")
    put_events(logs, "g", "s", [late])
    events, _, _ = _read(endpoint, 0, [state_entry("g", position)])
    assert events == sorted([late, recent])
