"""Bad config (a few through the entry point; unit_tests/test_spec.py has every rule), state and catalog input
through the real entry point: a clear message naming what is wrong,
never a stack trace, and no event lost (unusable state means reading again from the start, said aloud)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from testkit.connector import ENTRY_POINT, NO_SWEEP, config, configured_catalog, run_connector
from testkit.messages import state_entry
from testkit.seeding import DAY, now_ms, put_events


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"region_name": 42}, "Invalid configuration: `region_name` Input should be a valid string."),
        (
            {"region_name": "moon"},
            "Invalid configuration: `region_name` is not an AWS region name; use one like us-east-1 or eu-west-2.",
        ),
        (
            {"endpoint_url": "ftp://logs.example.com"},
            "Invalid configuration: `endpoint_url` must be an http:// or https:// URL, e.g. https://logs.us-east-1.amazonaws.com.",
        ),
        (
            {
                "custom_log_reports": [
                    {"name": "r", "log_group_name": "g", "log_stream_names": [str(i) for i in range(101)]}
                ]
            },
            "Invalid configuration: `custom_log_reports[0].log_stream_names` has 101 names but CloudWatch accepts at most 100; use log_stream_name_prefix or split the report.",
        ),
    ],
)
def test_bad_config_fails_check_with_the_field_named(
    tmp_path: Path, endpoint: str, overrides: dict[str, Any], message: str
) -> None:
    out = run_connector("check", tmp_path, config(endpoint, **overrides))
    assert out.returncode == 0
    assert out.connection_status == {"status": "FAILED", "message": message}
    assert "Traceback" not in out.stdout + out.stderr


def test_a_config_file_that_is_not_json(tmp_path: Path) -> None:
    out = run_connector("read", tmp_path, raw_config="{region_name: us-east-1", catalog={"streams": []})
    assert out.returncode == 1
    (error,) = out.errors
    assert error["failure_type"] == "config_error"
    assert error["message"].startswith("The config file ") and "is not valid JSON" in error["message"]
    assert "Traceback" not in out.stdout + out.stderr


def test_unusable_state_is_reported_and_the_usable_rest_is_used(tmp_path: Path, logs: Any, endpoint: str) -> None:
    cut = now_ms() - DAY
    cut_seconds = cut // 1000
    events = [(cut - 60_000, "old"), (cut_seconds * 1000, "at the second"), (cut + 1_000, "new")]
    for group in ("ok", "negative", "future", "seconds", "text"):
        put_events(logs, group, "s", events)
    cfg = config(endpoint, **NO_SWEEP)
    catalog = configured_catalog(run_connector("discover", tmp_path, cfg).catalog)
    future = now_ms() + DAY
    state = [
        state_entry("ok", cut),
        state_entry("negative", -5),
        state_entry("future", future),
        state_entry("seconds", cut_seconds),
        state_entry("text", "not a time"),
        state_entry("gone", cut),
        7,
    ]

    out = run_connector("read", tmp_path, cfg, catalog=catalog, state=state)

    assert out.returncode == 0, out.stderr[-2000:]
    everything = sorted(events)
    assert out.events_of("ok") == [(cut + 1_000, "new")]
    assert out.events_of("negative") == everything
    assert out.events_of("future") == []  # a state from the future reads nothing and is kept
    assert out.stream_state("future") == {"timestamp": future}
    assert out.events_of("seconds") == [(cut_seconds * 1000, "at the second"), (cut + 1_000, "new")]
    assert out.events_of("text") == everything
    warnings = out.logs("WARN")
    again = "the stream is read again from its start (start_date or the oldest data). Events already delivered repeat with the same eventId."
    assert "State entry 6 has an unknown shape and was ignored." in warnings
    assert "State for stream 'gone' is ignored: not in the catalog." in warnings
    assert f"State of stream 'negative' is not usable (its `timestamp` -5 is negative): {again}" in warnings
    assert f"State of stream 'text' is not usable (its `timestamp` is not a number): {again}" in warnings
    assert any(
        w.startswith(f"State of stream 'future': its `timestamp` {future} (") and w.endswith("the state is kept.")
        for w in warnings
    )
    assert any(
        w.startswith(f"State of stream 'seconds': its `timestamp` {cut_seconds} looks like epoch seconds")
        for w in warnings
    )


def test_legacy_single_object_state_is_converted(tmp_path: Path, logs: Any, endpoint: str) -> None:
    cut = now_ms() - DAY
    put_events(logs, "g", "s", [(cut - 1, "before"), (cut, "at")])
    cfg = config(endpoint, **NO_SWEEP)
    catalog = configured_catalog(run_connector("discover", tmp_path, cfg).catalog)

    out = run_connector("read", tmp_path, cfg, catalog=catalog, state={"g": {"timestamp": cut}})

    assert out.events_of("g") == [(cut, "at")]
    assert "The state is in the legacy single-object shape; it was converted per stream." in out.logs("WARN")


def test_a_state_file_that_is_not_json_is_reported_and_everything_is_read(
    tmp_path: Path, logs: Any, endpoint: str
) -> None:
    events = [(now_ms() - DAY, "x")]
    put_events(logs, "g", "s", events)
    cfg = config(endpoint)
    catalog = configured_catalog(run_connector("discover", tmp_path, cfg).catalog)
    state_file = tmp_path / "broken-state.json"
    state_file.write_text("[{not json")
    catalog_file = tmp_path / "catalog.json"
    catalog_file.write_text(json.dumps(catalog))
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(cfg))

    done = subprocess.run(
        [
            str(ENTRY_POINT),
            "read",
            "--config",
            str(config_file),
            "--catalog",
            str(catalog_file),
            "--state",
            str(state_file),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = [json.loads(line) for line in done.stdout.split("\n") if line]
    assert done.returncode == 0
    assert [m["record"]["data"]["message"] for m in messages if m["type"] == "RECORD"] == ["x"]
    warnings = [m["log"]["message"] for m in messages if m["type"] == "LOG" and m["log"]["level"] == "WARN"]
    assert [w for w in warnings if w.startswith("The state")] == [
        f"The state file {state_file} is not valid JSON (Expecting property name enclosed in double quotes at line 1). "
        "It was ignored: every stream starts from its beginning."
    ]


def test_catalog_with_a_missing_stream_and_a_bad_sync_mode(tmp_path: Path, logs: Any, endpoint: str) -> None:
    put_events(logs, "g", "s", [(now_ms() - DAY, "x")])
    cfg = config(endpoint)
    catalog = configured_catalog(run_connector("discover", tmp_path, cfg).catalog)
    gone = json.loads(json.dumps(catalog["streams"][0]))
    gone["stream"]["name"] = "deleted-group"
    catalog["streams"].append(gone)

    out = run_connector("read", tmp_path, cfg, catalog=catalog)

    assert out.returncode == 0
    assert out.events_of("g")[0][1] == "x"
    assert out.statuses("deleted-group") == ["INCOMPLETE"]
    assert [w for w in out.logs("WARN") if "deleted-group" in w] == [
        "Stream 'deleted-group' is in the catalog but its log group no longer exists (a direct read answered "
        "ResourceNotFoundException: deleted or renamed). Refresh the source schema; the other streams are read."
    ]

    catalog["streams"][0]["sync_mode"] = "cdc"
    bad = run_connector("read", tmp_path, cfg, catalog=catalog)
    assert bad.returncode == 1
    (error,) = bad.errors
    assert error["failure_type"] == "config_error"
    assert error["message"].startswith("The catalog is not a valid configured catalog: ")
    assert "sync_mode" in error["message"]
    assert "Traceback" not in bad.stdout + bad.stderr
