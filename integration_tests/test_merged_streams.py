"""Issue 14: a custom report over many log groups is one stream (log_group_prefix / log_group_names), each group
keeping its own position in the stream's state; and messages parsed into typed columns (message_format). The real
entry point against the fake (moto behind testkit's wrapper; nothing faked here beyond it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema

from source_cloudwatch_logs.merged_state import long_form
from testkit.connector import config, configured_catalog, read_with_kill, run_connector
from testkit.fake_logs import FakeCloudWatch, pretend_stored_bytes
from testkit.messages import state_entry
from testkit.seeding import DAY, HOUR, logs_client, now_ms, put_events

BASE = now_ms() - DAY
LAMBDA = {"name": "lambda_logs", "log_group_prefix": "/aws/lambda/"}


def _settings(fake: FakeCloudWatch, **overrides: Any) -> dict[str, Any]:
    return config(fake.url, log_group_prefix="/not-a-group", custom_log_reports=[LAMBDA], **overrides)


def _read(tmp_path: Path, settings: dict[str, Any], state: Any = None) -> Any:
    catalog = configured_catalog(run_connector("discover", tmp_path, settings).catalog)
    run = run_connector("read", tmp_path, settings, catalog=catalog, state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def _rows(run: Any, stream: str = "lambda_logs") -> list[tuple[str, int, str]]:
    return sorted((r["logGroupName"], r["timestamp"], r["message"]) for r in run.records_of(stream))


def test_a_merged_report_follows_groups_created_and_deleted_between_syncs(fake: FakeCloudWatch, tmp_path: Path) -> None:
    client = logs_client(fake.url)
    put_events(client, "/aws/lambda/orders", "s", [(BASE + i, f"orders {i}") for i in range(3)])
    put_events(client, "/aws/lambda/payments", "s", [(BASE + 10 + i, f"payments {i}") for i in range(2)])
    put_events(client, "/aws/ecs/web", "s", [(BASE, "not lambda")])
    discovered = run_connector("discover", tmp_path, _settings(fake)).catalog
    assert [s["name"] for s in discovered["streams"]] == ["lambda_logs"]  # one stream, however many groups
    first = _read(tmp_path, _settings(fake))
    assert _rows(first) == [
        *[("/aws/lambda/orders", BASE + i, f"orders {i}") for i in range(3)],
        *[("/aws/lambda/payments", BASE + 10 + i, f"payments {i}") for i in range(2)],
    ]
    assert [e for e in first.stream_state("lambda_logs")["groups"].values() if "t" in e] == []  # compact (issue 23)
    state = long_form(first.stream_state("lambda_logs"))  # as the next sync reads it
    assert sorted(state["log_groups"]) == ["/aws/lambda/orders", "/aws/lambda/payments"]
    assert state["log_groups"]["/aws/lambda/orders"]["newest_event_timestamp"] == BASE + 2
    assert state["log_groups"]["/aws/lambda/payments"]["newest_event_timestamp"] == BASE + 11
    assert state["timestamp"] == min(entry["timestamp"] for entry in state["log_groups"].values())

    put_events(client, "/aws/lambda/refunds", "s", [(BASE - HOUR, "refunds old"), (BASE + 20, "refunds new")])
    client.delete_log_group(logGroupName="/aws/lambda/orders")
    put_events(client, "/aws/lambda/payments", "s", [(BASE + 30, "payments later")])
    second = _read(tmp_path, _settings(fake), state=[first.state[-1]])
    assert _rows(second) == [
        ("/aws/lambda/payments", BASE + 11, "payments 1"),  # re-read from its own newest event, as every stream
        ("/aws/lambda/payments", BASE + 30, "payments later"),
        ("/aws/lambda/refunds", BASE - HOUR, "refunds old"),  # a new group starts from its oldest data
        ("/aws/lambda/refunds", BASE + 20, "refunds new"),
    ]
    assert sorted(second.stream_state("lambda_logs")["groups"]) == ["/aws/lambda/payments", "/aws/lambda/refunds"]
    assert (
        "State of stream 'lambda_logs': log group '/aws/lambda/orders' no longer exists (or no longer matches): "
        "its position is dropped." in second.logs("WARN")
    )


def test_a_quiet_group_keeps_its_own_position_beside_a_busy_one(fake: FakeCloudWatch, tmp_path: Path) -> None:
    """With one position for the stream, the busy group's newest event would hide the quiet group's late one."""
    client = logs_client(fake.url)
    busy = [(BASE + i * 1000, f"busy {i}") for i in range(2000)]
    put_events(client, "/aws/lambda/busy", "s", busy)
    put_events(client, "/aws/lambda/quiet", "s", [(BASE, "quiet 0")])
    pretend_stored_bytes(["/aws/lambda/busy"], 4 * 1024**3)  # many windows for the busy group
    first = _read(tmp_path, _settings(fake))
    assert len(first.records_of("lambda_logs")) == 2001
    # An event of the quiet group arrives late: after its newest event, long before the busy group's.
    put_events(client, "/aws/lambda/quiet", "s", [(BASE + 60_000, "quiet late")])
    put_events(client, "/aws/lambda/busy", "s", [(BASE + 2_000_000, "busy later")])
    second = _read(tmp_path, _settings(fake), state=[first.state[-1]])
    new = {row for row in _rows(second) if "later" in row[2] or "late" in row[2]}
    assert new == {
        ("/aws/lambda/quiet", BASE + 60_000, "quiet late"),
        ("/aws/lambda/busy", BASE + 2_000_000, "busy later"),
    }


def test_a_merged_stream_resumes_after_a_crash_without_losing_events(fake: FakeCloudWatch, tmp_path: Path) -> None:
    client = logs_client(fake.url)
    expected = set()
    for name in ("a", "b", "c"):
        events = [(BASE + i * 5000, f"{name} {i}") for i in range(1500)]
        put_events(client, f"/aws/lambda/{name}", "s", events)
        expected |= {(f"/aws/lambda/{name}", ts, message) for ts, message in events}
    pretend_stored_bytes([f"/aws/lambda/{name}" for name in "abc"], 4 * 1024**3)
    settings = _settings(fake, num_workers=3)
    catalog = configured_catalog(run_connector("discover", tmp_path, settings).catalog)
    delivered: set[tuple[str, int, str]] = set()
    state = None
    for kill_after in (700, 1500, None):
        run = read_with_kill(tmp_path, settings, catalog, state=state, kill_after_records=kill_after)
        delivered |= {(r["logGroupName"], r["timestamp"], r["message"]) for r in run.records_of("lambda_logs")}
        if run.state:
            state = run.state[-1:]
        if kill_after is None:
            assert run.returncode == 0, run.describe()
    assert delivered == expected


def test_stream_filters_and_explicit_group_names_work_on_merged_reports(fake: FakeCloudWatch, tmp_path: Path) -> None:
    client = logs_client(fake.url)
    for name in ("a", "b", "c"):
        put_events(client, f"/app/{name}", "web-1", [(BASE + 1, f"{name} ERROR web"), (BASE + 2, f"{name} ok web")])
        put_events(client, f"/app/{name}", "worker-1", [(BASE + 3, f"{name} ERROR worker")])
    report = {
        "name": "web_errors",
        "log_group_names": ["/app/a", "/app/c", "/app/missing"],
        "log_stream_name_prefix": "web-",
        "filter_pattern": "ERROR",
    }
    settings = config(fake.url, log_group_prefix="/none", custom_log_reports=[report])
    discovered = run_connector("discover", tmp_path, settings)
    assert (
        "`custom_log_reports[0].log_group_names`: '/app/missing' do not exist in region us-east-1 (yet): stream "
        "'web_errors' reads them once they do." in discovered.logs("WARN")
    )
    run = _read(tmp_path, settings)
    assert _rows(run, "web_errors") == [("/app/a", BASE + 1, "a ERROR web"), ("/app/c", BASE + 1, "c ERROR web")]


def test_parsed_columns_are_declared_and_typed_and_the_raw_message_is_kept(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    client = logs_client(fake.url)
    lines = [
        "START RequestId: 6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b Version: $LATEST",
        "REPORT RequestId: 6f1c2a9e-3b4d-4e5f-8a7b-9c0d1e2f3a4b\tDuration: 182.44 ms\tBilled Duration: 183 ms\t"
        "Memory Size: 512 MB\tMax Memory Used: 91 MB\t",
        '{"level": "INFO", "message": "order accepted", "nested": {"deep": [1, 2]}}',
        "plain text",
        "[1, 2]",
    ]
    put_events(client, "/aws/lambda/orders", "s", [(BASE + i, line) for i, line in enumerate(lines)])
    settings = _settings(fake, message_format="auto")
    (stream,) = run_connector("discover", tmp_path, settings).catalog["streams"]
    schema = stream["json_schema"]
    run = _read(tmp_path, settings)
    records = sorted(run.records_of("lambda_logs"), key=lambda r: r["timestamp"])
    assert [r["message"] for r in records] == lines
    for record in records:
        jsonschema.validate(record, schema)
        assert set(record) <= set(schema["properties"])
    assert [r.get("message_kind") for r in records] == ["lambda_start", "lambda_report", "json", None, None]
    assert records[1]["lambda_duration_ms"] == 182.44 and records[1]["lambda_billed_duration_ms"] == 183
    assert records[2]["message_json"] == {"level": "INFO", "message": "order accepted", "nested": {"deep": [1, 2]}}
    finished = [line for line in run.logs("INFO") if line.startswith("Stream 'lambda_logs': finished")]
    assert finished[0].endswith("; 2 of 5 messages of no known format.")
    # json: only the JSON object is parsed; the summary counts the others as not JSON objects.
    as_json = _read(tmp_path, _settings(fake, message_format="json"))
    assert [
        sorted(set(r) - set(records[3]))
        for r in sorted(as_json.records_of("lambda_logs"), key=lambda r: r["timestamp"])
    ] == [[], [], ["message_json"], [], []]
    finished = [line for line in as_json.logs("INFO") if line.startswith("Stream 'lambda_logs': finished")]
    assert finished[0].endswith("; 4 of 5 messages not JSON objects.")


def test_a_merged_report_that_matches_no_group_yet_is_offered_and_checks(fake: FakeCloudWatch, tmp_path: Path) -> None:
    settings = _settings(fake)
    check = run_connector("check", tmp_path, settings)
    assert check.connection_status == {"status": "SUCCEEDED"}
    discovered = run_connector("discover", tmp_path, settings)
    assert [s["name"] for s in discovered.catalog["streams"]] == ["lambda_logs"]
    assert (
        "`custom_log_reports[0].log_group_prefix` '/aws/lambda/' matches no log group in region us-east-1 (yet): "
        "stream 'lambda_logs' reads the groups once they exist." in discovered.logs("WARN")
    )
    run = _read(tmp_path, settings)
    assert run.records_of("lambda_logs") == []
    assert run.stream_state("lambda_logs") == {"groups": {}}


def test_log_group_names_on_an_endpoint_that_ignores_identifiers_reads_only_those_groups(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    """Issue 20 item 10: stock moto and LocalStack ignore logGroupIdentifiers and answer every group of the
    account (FaultPlan.describe_ignores_identifiers); the report still holds exactly the two groups it names."""
    client = logs_client(fake.url)
    for name in ("a", "b", "c", "d", "e"):
        put_events(client, f"/app/{name}", "s", [(BASE + i, f"{name} {i}") for i in range(3)])
    fake.plan.describe_ignores_identifiers = True
    report = {"name": "two", "log_group_names": ["/app/b", "/app/d"]}
    settings = config(fake.url, log_group_prefix="/none", custom_log_reports=[report])
    run = _read(tmp_path, settings)
    assert _rows(run, "two") == [(f"/app/{name}", BASE + i, f"{name} {i}") for name in ("b", "d") for i in range(3)]
    assert sorted(run.stream_state("two")["groups"]) == ["/app/b", "/app/d"]
    asked = [p for op, p in fake.requests if op == "DescribeLogGroups" and "logGroupIdentifiers" in p]
    assert asked and all(p["logGroupIdentifiers"] == ["/app/b", "/app/d"] for p in asked)


def _infrequent(fake: FakeCloudWatch, group: str, events: list[tuple[int, str]]) -> None:
    """An INFREQUENT_ACCESS group (CreateLogGroup logGroupClass; FilterLogEvents refuses it, as AWS does)."""
    client = logs_client(fake.url)
    client.create_log_group(logGroupName=group, logGroupClass="INFREQUENT_ACCESS")
    put_events(client, group, "s", events)


def test_a_merged_report_reads_its_infrequent_access_members_with_logs_insights(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    """Issue 20 item 11: without filter settings, an Infrequent Access member is read with Logs Insights like the
    group's own stream; before the fix it was left out with a warning and the stream ended COMPLETE."""
    put_events(logs_client(fake.url), "/aws/lambda/hot", "s", [(BASE + i, f"hot {i}") for i in range(3)])
    _infrequent(fake, "/aws/lambda/cold", [(BASE + 10 + i, f"cold {i}") for i in range(4)])
    run = _read(tmp_path, _settings(fake))
    assert _rows(run) == [
        *[("/aws/lambda/cold", BASE + 10 + i, f"cold {i}") for i in range(4)],
        *[("/aws/lambda/hot", BASE + i, f"hot {i}") for i in range(3)],
    ]
    assert run.statuses("lambda_logs")[-1] == "COMPLETE"
    assert sorted(run.stream_state("lambda_logs")["groups"]) == ["/aws/lambda/cold", "/aws/lambda/hot"]
    # No warning about the group but the one line for both groups' late events (seeded a day back; issue 23).
    assert [w.split(" s after ")[1][:80] for w in run.logs("WARN") if "cold" in w] == [
        "their timestamp in 2 log groups: '/aws/lambda/cold' and '/aws/lambda/hot', later"
    ]


def test_a_single_group_report_on_an_infrequent_access_group_without_filters_is_read(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    """Issue 20 item 11: such a report was refused; it reads like the group's own stream."""
    _infrequent(fake, "/cold", [(BASE + i, f"cold {i}") for i in range(3)])
    settings = config(fake.url, log_group_prefix="/none", custom_log_reports=[{"name": "r", "log_group_name": "/cold"}])
    run = _read(tmp_path, settings)
    assert run.events_of("r") == [(BASE + i, f"cold {i}") for i in range(3)]
    assert {r["logGroupName"] for r in run.records_of("r")} == {"/cold"}


def test_a_merged_report_whose_filter_cannot_apply_to_infrequent_access_members_never_ends_complete(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    """Issue 20 item 11: check fails naming the report and the group, discover warns, and a read delivers the
    other members, then ends the stream INCOMPLETE with an error naming the group (exit 1); the group's state
    entry, if any, is kept."""
    put_events(logs_client(fake.url), "/aws/lambda/hot", "s", [(BASE, "hot ERROR"), (BASE + 1, "hot ok")])
    _infrequent(fake, "/aws/lambda/cold", [(BASE + 2, "cold ERROR")])
    settings = config(fake.url, log_group_prefix="/none", custom_log_reports=[{**LAMBDA, "filter_pattern": "ERROR"}])
    problem = (
        "`custom_log_reports[0]` ('lambda_logs'): log group(s) '/aws/lambda/cold' cannot be read as the report "
        "asks: their log class INFREQUENT_ACCESS does not support FilterLogEvents, and Logs Insights, which reads "
        "that class, cannot apply filter_pattern. Express the filter as a Logs Insights `query` instead (e.g. "
        "`filter @message like /ERROR/`), or choose the report's log groups so that these are not among them."
    )
    check = run_connector("check", tmp_path, settings)
    assert check.connection_status == {"status": "FAILED", "message": problem}
    discovered = run_connector("discover", tmp_path, settings)
    assert discovered.returncode == 0
    warning = (
        f"{problem} Stream 'lambda_logs' reads its other log groups, then ends INCOMPLETE with this error on every "
        "sync until this is fixed."
    )
    assert warning in discovered.logs("WARN")
    catalog = configured_catalog(discovered.catalog)
    kept = {"timestamp": BASE - 5, "newest_event_timestamp": BASE - 10}
    state = [state_entry("lambda_logs", BASE - 5)]
    state[0]["stream"]["stream_state"] = {"timestamp": BASE - 5, "log_groups": {"/aws/lambda/cold": kept}}
    run = run_connector("read", tmp_path, settings, catalog=catalog, state=state)
    assert run.returncode == 1
    assert _rows(run) == [("/aws/lambda/hot", BASE, "hot ERROR")]
    stream_errors = [e for e in run.errors if e.get("stream_descriptor")]
    assert [(e["message"], e["failure_type"]) for e in stream_errors] == [
        (f"Stream 'lambda_logs': {problem} Its other log groups were read.", "config_error")
    ]
    assert run.statuses("lambda_logs")[-1] == "INCOMPLETE"
    assert long_form(run.stream_state("lambda_logs"))["log_groups"]["/aws/lambda/cold"] == kept
    assert run.stream_state("lambda_logs")["groups"]["/aws/lambda/cold"] == {"n": 5}  # the compact form of `kept`
    assert "/aws/lambda/hot" in run.stream_state("lambda_logs")["groups"]
