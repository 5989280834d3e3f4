"""The fake in its own process (testkit/server_process.py): the serving command and the control API."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from testkit import ROOT
from testkit.server_process import closed_port, fake_cloudwatch, fake_stats, ready_process, reset_fake, set_plan
from testkit.tests.conftest import client, error_of

NO_QUERIES = {
    "started": 0,
    "refused": 0,
    "stopped": 0,
    "malformed": 0,
    "max_running": 0,
    "bytes_scanned": 0,
    "rows_returned": 0,
    "running": 0,
}


def test_cli_serves_and_reports_stats(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "testkit.server_process", "--port", "0"]
    command += ["--latency", "0.01", "--rate", "DescribeLogGroups=5"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("READY http://127.0.0.1:")
        url = line.split()[1]
        logs = client(url)

        logs.create_log_group(logGroupName="/cli")
        groups = logs.describe_log_groups()["logGroups"]
        plan_request = urllib.request.Request(
            f"{url}/_fake/plan", data=json.dumps({"throttle_all": True}).encode(), method="POST"
        )
        with urllib.request.urlopen(plan_request) as response:
            assert response.status == 200
        with pytest.raises(ClientError) as excinfo:
            logs.describe_log_groups()
        with urllib.request.urlopen(f"{url}/_fake/stats") as response:
            stats = json.loads(response.read())

        assert [(g["logGroupName"], g["logGroupClass"]) for g in groups] == [("/cli", "STANDARD")]
        assert error_of(excinfo)[:2] == (400, "ThrottlingException")
        assert stats == {
            "calls": {"CreateLogGroup": 1, "DescribeLogGroups": 2},
            "throttles": {"DescribeLogGroups": 1},
            "faults": {},
            "neighbour_calls": {},
            "neighbour_throttles": {},
            "insights": NO_QUERIES,
        }
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_fake_cloudwatch_serves_its_own_data_and_the_control_client_drives_it(tmp_path: Path) -> None:
    log_path = tmp_path / "fake.log"
    with fake_cloudwatch(log_path=log_path) as url:
        logs = client(url)
        logs.create_log_group(logGroupName="/own")
        set_plan(url, rate_limits={"DescribeLogGroups": 1}, deny_groups=["/own"])
        logs.describe_log_groups()
        with pytest.raises(ClientError) as throttled:
            logs.describe_log_groups()
        before_reset = fake_stats(url)
        reset_fake(url)
        after_reset = fake_stats(url)
        with pytest.raises(ClientError) as missing:
            logs.filter_log_events(logGroupName="/own")

    assert error_of(throttled)[:2] == (400, "ThrottlingException")
    assert before_reset == {
        "calls": {"CreateLogGroup": 1, "DescribeLogGroups": 2},
        "throttles": {"DescribeLogGroups": 1},
        "faults": {},
        "neighbour_calls": {},
        "neighbour_throttles": {},
        "insights": NO_QUERIES,
    }
    assert after_reset == {
        "calls": {},
        "throttles": {},
        "faults": {},
        "neighbour_calls": {},
        "neighbour_throttles": {},
        "insights": NO_QUERIES,
    }
    # The data is gone, the plan stays: the group is still denied before it is found missing.
    assert error_of(missing)[:2] == (400, "AccessDeniedException")
    assert log_path.exists()


def test_a_command_that_does_not_announce_itself_fails_to_start() -> None:
    with pytest.raises(RuntimeError, match="did not start"), ready_process([sys.executable, "-c", "print('hello')"]):
        pass


def test_closed_port_refuses_connections() -> None:
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", closed_port()), timeout=5):
        pass
