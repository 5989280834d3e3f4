"""The sync's clock: CloudWatch's, with a warning when the local clock is off by more than a minute."""

from __future__ import annotations

import logging

import pytest

from source_cloudwatch_logs.plan import CLOCK_SKEW_WARNING_MS, _stale_states, sync_clock

LOGGER = logging.getLogger("test")


def test_the_server_clock_wins_and_a_large_skew_is_reported(caplog: pytest.LogCaptureFixture) -> None:
    assert sync_clock(server_ms=1_000_000, local_ms=1_000_000 + CLOCK_SKEW_WARNING_MS, logger=LOGGER) == 1_000_000
    assert caplog.text == ""
    assert sync_clock(server_ms=1_000_000, local_ms=1_000_000 + 600_000, logger=LOGGER) == 1_000_000
    assert "The local clock is +600 s off CloudWatch's; the connector uses CloudWatch's." in caplog.text


def test_without_a_server_clock_the_local_one_is_used() -> None:
    assert sync_clock(server_ms=None, local_ms=42, logger=LOGGER) == 42


def test_states_of_streams_outside_the_catalog_are_one_line() -> None:
    assert _stale_states(["gone"]) == "State for stream 'gone' is ignored: not in the catalog."
    names = [f"s{i:04d}" for i in range(5000)]
    assert _stale_states(names) == (
        "State for 5000 streams 's0000', 's0001', 's0002', 's0003', 's0004', 's0005', 's0006', 's0007', 's0008', "
        "'s0009' and 4990 more is ignored: not in the catalog."
    )
