"""The sync's clock: CloudWatch's, with a warning when the local clock is off by more than a minute; and what
becomes of a selected stream that discovery did not find (issue 20, principle 3)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from airbyte_cdk.models import AirbyteStream, FailureType, SyncMode
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_cloudwatch_logs.discovery import Discovery
from source_cloudwatch_logs.plan import (
    CLOCK_SKEW_WARNING_MS,
    FailingStream,
    _stale_states,
    failing_stream,
    sync_clock,
    unfound_stream_error,
)
from source_cloudwatch_logs.spec import parse_config
from unit_tests.conftest import aws_error, stub_logs, sync_plan

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


# ----- issue 20, principle 3: a selected stream that discovery did not find ---------------------------------------

SOURCE = "210987654321"


def unfound(name: str, answers: list[Any], refused: dict[str, str] | None = None, **settings: Any) -> Any:
    logs, client = stub_logs(pages=answers)
    config = parse_config({"region_name": "us-east-1", **settings})
    return unfound_stream_error(name, config, Discovery(streams=[], refused=refused or {}), logs), client.calls


def test_a_stream_is_skipped_only_when_a_direct_read_confirms_its_group_is_gone() -> None:
    gone = aws_error("ResourceNotFoundException", "The specified log group does not exist.")
    assert unfound("deleted", [gone]) == (None, [{"logGroupName": "deleted", "limit": 1}])
    linked, calls = unfound(f"{SOURCE}:/app", [gone], include_linked_accounts=True)
    assert linked is None
    assert calls == [{"logGroupIdentifier": f"arn:aws:logs:us-east-1:{SOURCE}:log-group:/app", "limit": 1}]
    # No log group can have this name (a custom report since removed): gone, without a call.
    assert unfound("old report", []) == (None, [])


def test_a_stream_whose_group_exists_but_is_not_listed_fails() -> None:
    error, calls = unfound(f"{SOURCE}:/app", [{"events": []}], include_linked_accounts=True)
    assert calls == [{"logGroupIdentifier": f"arn:aws:logs:us-east-1:{SOURCE}:log-group:/app", "limit": 1}]
    assert error.message == (
        f"Stream '{SOURCE}:/app': log group '/app' of account {SOURCE} was not returned by DescribeLogGroups in "
        "region us-east-1, yet it is not gone: a direct read of it works. The stream was not read. Run the sync "
        "again; if this repeats, check that the credentials may call logs:DescribeLogGroups on it (for a linked "
        "account's group: that the account is still linked and shares its log groups)."
    )
    assert error.failure_type == FailureType.system_error


def test_an_unlisted_infrequent_access_group_is_not_taken_for_gone() -> None:
    refused = aws_error("InvalidOperationException", "FilterLogEvents is not supported for this log group class.")
    error, _ = unfound("cold", [refused])
    assert error.message.startswith(
        "Stream 'cold': log group 'cold' was not returned by DescribeLogGroups in region us-east-1, yet it is not "
        "gone: a direct read of it fails: logs:FilterLogEvents failed with InvalidOperationException: "
        "FilterLogEvents is not supported for this log group class. The stream was not read."
    )
    assert error.failure_type == FailureType.config_error


def test_a_stream_the_config_no_longer_selects_fails_saying_why() -> None:
    error, _ = unfound("/other", [{"events": []}], log_group_prefix="/app/")
    assert error.message == (
        "Stream '/other' is in the catalog, but the config no longer selects its log group (its name does not start "
        "with log_group_prefix '/app/'); a direct read of it works. Refresh the source schema, or change the config "
        "back; the other streams are read."
    )
    assert error.failure_type == FailureType.config_error
    off, _ = unfound(f"{SOURCE}:/app", [{"events": []}])
    assert off.message.startswith(
        f"Stream '{SOURCE}:/app' is in the catalog, but the config no longer selects its log group (it is account "
        f"{SOURCE}'s and include_linked_accounts is off)"
    )


def test_a_report_whose_group_was_not_found_follows_the_same_rule() -> None:
    report = {"name": "r", "log_group_name": f"arn:aws:logs:us-east-1:{SOURCE}:log-group:/app:*"}
    error, calls = unfound("r", [{"events": []}], custom_log_reports=[report])
    assert calls == [{"logGroupIdentifier": f"arn:aws:logs:us-east-1:{SOURCE}:log-group:/app", "limit": 1}]
    assert error.message.startswith(
        f"Stream 'r': `custom_log_reports[0].log_group_name` 'arn:aws:logs:us-east-1:{SOURCE}:log-group:/app:*' was "
        "not returned by DescribeLogGroups in region us-east-1, yet it is not gone: a direct read of it works."
    )
    gone = aws_error("ResourceNotFoundException", "The specified log group does not exist.")
    assert unfound("r", [gone], custom_log_reports=[report])[0] is None


def test_a_stream_discovery_refused_fails_with_the_reason_and_no_call() -> None:
    error, calls = unfound("r", [], refused={"r": "`custom_log_reports[0].log_group_name` 'ia': why."})
    assert calls == []
    assert error.message == (
        "Stream 'r' cannot be read: `custom_log_reports[0].log_group_name` 'ia': why. Then refresh the source "
        "schema; the other streams are read."
    )
    assert error.failure_type == FailureType.config_error


def test_a_failing_stream_raises_its_error_and_emits_no_state() -> None:
    plan = sync_plan()
    error = AirbyteTracedException(message="Stream 'x': broken.", failure_type=FailureType.config_error)
    stream = failing_stream(
        FailingStream(
            stream=AirbyteStream(name="x", json_schema={}, supported_sync_modes=[SyncMode.incremental]), error=error
        ),
        plan,
    )
    with pytest.raises(AirbyteTracedException) as raised:
        list(stream.generate_partitions())
    assert raised.value is error
    stream.cursor.ensure_at_least_one_state_emitted()
    assert list(plan.repository.consume_queue()) == []
