"""Issue 12: Infrequent Access log groups and query reports, read with Logs Insights through the real entry point.

Faked (testkit/fake_insights.py, because moto's Insights runs synchronously and ignores filters): queries go
Scheduled, Running, then Complete (`FaultPlan.query_seconds`); results are capped (`FaultPlan.query_row_cap`, an
account where StartQuery's limit is 10,000, set lower here to keep the tests small) while `recordsMatched` reports
the true count; the account's concurrent queries are limited and LimitExceededException answered beyond;
FilterLogEvents is refused on INFREQUENT_ACCESS groups, as AWS does; `@ptr` differs on every query.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from source_cloudwatch_logs.aws.times import iso_utc
from source_cloudwatch_logs.formats import JSON, JSON_COLUMN, columns
from source_cloudwatch_logs.records import RECORD_SCHEMA
from testkit.connector import (
    child_environment,
    command_line,
    config,
    configured_catalog,
    read_with_kill,
    run_connector,
)
from testkit.fake_logs import FakeCloudWatch, pretend_stored_bytes
from testkit.seeding import DAY, logs_client, now_ms, put_events

BASE = now_ms() - DAY
Event = tuple[int, str]


def _infrequent(fake: FakeCloudWatch, group: str, events: list[Event], stream: str = "s") -> None:
    client = logs_client(fake.url)
    if group not in fake.plan.infrequent_access_groups:
        client.create_log_group(logGroupName=group, logGroupClass="INFREQUENT_ACCESS")
    put_events(client, group, stream, events)


def _read(tmp_path: Path, settings: dict[str, Any], state: Any = None) -> Any:
    catalog = configured_catalog(run_connector("discover", tmp_path, settings).catalog)
    run = run_connector("read", tmp_path, settings, catalog=catalog, state=state)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def _ids(run: Any, stream: str) -> dict[Event, str]:
    return {(r["timestamp"], r["message"]): r["eventId"] for r in run.records_of(stream)}


def test_a_window_with_more_matching_events_than_a_query_returns_is_read_exactly_once(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    events = [(BASE + i * 3, f"event {i}") for i in range(25_000)]
    _infrequent(fake, "cheap", events)
    fake.plan.query_row_cap = 10_000
    run = _read(tmp_path, config(fake.url))
    assert run.events_of("cheap") == events  # every event, once, in order
    assert len(set(_ids(run, "cheap").values())) == 25_000
    # 10,000 rows, then the rest from the last row's millisecond on: three queries, no window skipped or repeated.
    assert fake.stats()["insights"]["started"] == 3
    assert fake.calls["FilterLogEvents"] == 0  # never tried on an Infrequent Access group
    assert fake.stats()["insights"]["running"] == 0


def test_a_millisecond_holding_more_events_than_a_query_returns_is_read_log_stream_by_log_stream(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    crowded = BASE + 500
    expected: list[Event] = [(BASE + i, f"before {i}") for i in range(300)]
    for stream, count in (("a", 900), ("b", 900), ("c", 400)):
        batch = [(crowded, f"{stream} {i:04d}") for i in range(count)]
        _infrequent(fake, "cheap", batch, stream=stream)
        expected += batch
    after = [(BASE + 501 + i, f"after {i}") for i in range(300)]
    _infrequent(fake, "cheap", expected[:300] + after)
    expected += after
    fake.plan.query_row_cap = 1_000  # 2,200 events in one millisecond: more than any one query returns
    run = _read(tmp_path, config(fake.url))
    assert sorted(run.events_of("cheap")) == sorted(expected)
    assert len(run.records_of("cheap")) == len(expected) == 2_800
    assert len(set(_ids(run, "cheap").values())) == 2_800


def test_a_log_stream_with_more_events_in_one_millisecond_than_a_query_returns_fails_with_a_clear_message(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    _infrequent(fake, "cheap", [(BASE, f"same ms {i}") for i in range(30)])
    fake.plan.query_row_cap = 20
    catalog = configured_catalog(run_connector("discover", tmp_path, config(fake.url)).catalog)
    run = run_connector("read", tmp_path, config(fake.url), catalog=catalog)
    assert run.returncode == 1
    error, summary = run.errors  # the stream's error, then the CDK's summary of the failed streams
    assert summary["message"].startswith("During the sync, the following streams did not sync successfully: cheap")
    assert error["message"].startswith(
        "Stream 'cheap': log stream 's' holds 30 events in the one millisecond "
    ) and error["message"].endswith(
        "more than one Logs Insights query returns (20), so they cannot all be read. Read this log group with a "
        "narrower custom report query, or move it to the STANDARD class."
    )
    assert run.records_of("cheap") == []  # nothing of the window is delivered, and the state stays put
    assert fake.stats()["insights"]["running"] == 0


def test_incremental_syncs_on_an_infrequent_access_group_re_read_with_the_same_keys(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    first_events = [(BASE + i * 1000, f"first {i}") for i in range(50)]
    _infrequent(fake, "cheap", first_events)
    settings = config(fake.url, lookback_window_seconds=10)
    first = _read(tmp_path, settings)
    assert first.events_of("cheap") == first_events
    state = first.state[-1]
    assert first.stream_state("cheap")["timestamp"] > first_events[-1][0]

    later = [(BASE + 60_000 + i, f"later {i}") for i in range(5)]
    _infrequent(fake, "cheap", later)
    second = _read(tmp_path, settings, state=[state])
    new = second.events_of("cheap")
    assert [event for event in new if event[1].startswith("later")] == later
    # The sync re-reads from the newest event it had seen (the quiet stretch after it may have filled late):
    # the same event gets the same eventId.
    re_read = [event for event in new if event[1].startswith("first")]
    assert re_read == first_events[-1:]
    first_ids, second_ids = _ids(first, "cheap"), _ids(second, "cheap")
    assert all(second_ids[event] == first_ids[event] for event in re_read)


def _report_group(fake: FakeCloudWatch) -> list[dict[str, Any]]:
    """API Gateway access-log lines (JSON format) in an Infrequent Access group."""
    lines = [
        {"requestId": f"r{i}", "status": status, "path": f"/orders/{i}", "latency": 10 + i}
        for i, status in enumerate([200, 503, 404, 500, 200, 502])
    ]
    _infrequent(fake, "/aws/apigateway/shop", [(BASE + i * 1000, json.dumps(line)) for i, line in enumerate(lines)])
    return lines


def test_a_query_report_with_a_filter_is_a_typed_incremental_stream(fake: FakeCloudWatch, tmp_path: Path) -> None:
    lines = _report_group(fake)
    report = {
        "name": "api_errors",
        "log_group_name": "/aws/apigateway/shop",
        "query": "fields @timestamp, status, path, strlen(path) as path_length | filter status >= 500",
    }
    settings = config(fake.url, custom_log_reports=[report], log_group_prefix="/none")
    discovered = run_connector("discover", tmp_path, settings).catalog
    (stream,) = discovered["streams"]
    properties = stream["json_schema"]["properties"]
    assert properties["status"] == {"type": ["null", "number"]}  # compared with a number in the filter
    assert properties["path"] == {"type": ["null", "string"]}
    assert properties["path_length"] == {"type": ["null", "number"]}  # a numeric function
    run = _read(tmp_path, settings)
    records = run.records_of("api_errors")
    wanted = [(i, line) for i, line in enumerate(lines) if line["status"] >= 500]
    assert [(r["timestamp"], r["status"], r["path"], r["path_length"]) for r in records] == [
        (BASE + i * 1000, line["status"], line["path"], len(line["path"])) for i, line in wanted
    ]
    assert all(set(record) <= set(properties) for record in records)  # the schema declares every column
    assert {r["logGroupName"] for r in records} == {"/aws/apigateway/shop"}
    assert run.stream_state("api_errors")["timestamp"] > BASE + 5000


def test_check_turns_a_bad_query_into_a_config_error_naming_the_report(fake: FakeCloudWatch, tmp_path: Path) -> None:
    _report_group(fake)
    bad = {"name": "r", "log_group_name": "/aws/apigateway/shop", "query": "fields @timestamp | filtr status = 1"}
    run = run_connector("check", tmp_path, config(fake.url, custom_log_reports=[bad]))
    assert run.connection_status["status"] == "FAILED"
    assert run.connection_status["message"] == (
        "Reading `custom_log_reports[0].query` ('r', log group '/aws/apigateway/shop') fails: Logs Insights cannot "
        "compile `custom_log_reports[0].query` (unexpected symbol found filtr at line 1 and position 1). Fix "
        "`custom_log_reports[0].query` and run check again."
    )
    assert fake.stats()["insights"]["malformed"] == 1
    aggregating = {**bad, "query": "stats count(*) by status"}
    run = run_connector("check", tmp_path, config(fake.url, custom_log_reports=[aggregating]))
    assert run.connection_status["status"] == "FAILED"
    assert run.connection_status["message"] == (
        "Invalid configuration: `custom_log_reports[0].query` uses `stats`, which aggregates events, so it cannot "
        "be read incrementally; replicate the events and aggregate in the destination, or run the aggregation as a "
        "scheduled query."
    )
    good = {**bad, "query": "fields @timestamp, status | filter status >= 500"}
    run = run_connector("check", tmp_path, config(fake.url, custom_log_reports=[good]))
    assert run.connection_status == {"status": "SUCCEEDED"}
    assert fake.stats()["insights"]["running"] == 0  # check's probe query is stopped at once


def test_limit_exceeded_storms_slow_the_sync_down_and_lose_nothing(fake: FakeCloudWatch, tmp_path: Path) -> None:
    expected = {}
    for group in ("g1", "g2", "g3"):
        expected[group] = [(BASE + i * 10, f"{group} {i}") for i in range(40)]
        _infrequent(fake, group, expected[group])
    fake.plan.concurrent_query_limit = 2
    fake.plan.neighbour_queries = 1  # a dashboard holds one: one query at a time is left for the connector
    fake.plan.limit_exceeded_calls = 3  # and the next three StartQuery calls are refused whatever runs
    run = _read(tmp_path, config(fake.url))
    for group, events in expected.items():
        assert run.events_of(group) == events, group
    stats = fake.stats()["insights"]
    assert stats["refused"] >= 3
    assert stats["max_running"] == 1
    assert stats["started"] == 3


def test_a_crash_mid_query_then_resume_delivers_every_event(fake: FakeCloudWatch, tmp_path: Path) -> None:
    events = [(BASE + i * 60_000, f"minute {i}") for i in range(240)]  # four hours
    _infrequent(fake, "cheap", events)
    pretend_stored_bytes(["cheap"], 2 * 1024**3)  # a big group: windows of about 15 minutes, checkpointed each
    fake.plan.query_seconds = 0.2
    settings = config(fake.url, max_concurrent_queries=3)
    catalog = configured_catalog(run_connector("discover", tmp_path, settings).catalog)
    killed = read_with_kill(tmp_path, settings, catalog, kill_after_records=1)
    assert killed.killed
    delivered = set(killed.events_of("cheap"))
    assert 0 < len(delivered) < len(events)
    resumed = read_with_kill(tmp_path, settings, catalog, state=killed.state[-1:] or None)
    assert resumed.returncode == 0, resumed.describe()
    assert delivered | set(resumed.events_of("cheap")) == set(events)
    # What the killed run checkpointed is not read again (beyond the lookback, 0 here).
    watermark = killed.stream_state("cheap").get("timestamp", 0) if killed.state else 0
    assert all(ts >= watermark for ts, _ in resumed.events_of("cheap"))


def test_a_cancelled_sync_stops_its_running_queries(fake: FakeCloudWatch, tmp_path: Path) -> None:
    for group in ("g1", "g2", "g3"):
        _infrequent(fake, group, [(BASE + i, f"{group} {i}") for i in range(10)])
    fake.plan.query_seconds = 60.0  # queries that would run on long after the cancel
    settings = config(fake.url)
    catalog = configured_catalog(run_connector("discover", tmp_path, settings).catalog)
    args = command_line("read", tmp_path, config=settings, catalog=catalog)
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=child_environment()) as proc:
        deadline = time.monotonic() + 60
        while fake.stats()["insights"]["running"] < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.stats()["insights"]["running"] == 3
        proc.send_signal(signal.SIGTERM)
        stdout, _ = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM
    assert b"Stopped by SIGTERM" in stdout
    assert fake.stats()["insights"]["stopped"] == 3
    assert fake.stats()["insights"]["running"] == 0


def test_a_mixed_sync_reads_standard_groups_with_filter_log_events_and_infrequent_access_ones_with_insights(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    standard = [(BASE + i, f"standard {i}") for i in range(20)]
    cheap = [(BASE + i, f"cheap {i}") for i in range(30)]
    put_events(logs_client(fake.url), "standard", "s", standard)
    _infrequent(fake, "cheap", cheap)
    run = _read(tmp_path, config(fake.url))
    assert run.events_of("standard") == standard
    assert run.events_of("cheap") == cheap
    filtered = {params.get("logGroupName") for op, params in fake.requests if op == "FilterLogEvents"}
    queried = {tuple(params["logGroupIdentifiers"]) for op, params in fake.requests if op == "StartQuery"}
    assert filtered == {"standard"}
    assert queried == {("arn:aws:logs:us-east-1:123456789012:log-group:cheap",)}
    # Both streams' records have the same columns; the Insights one's key is a digest, not CloudWatch's id.
    assert set(run.records_of("standard")[0]) == set(run.records_of("cheap")[0])
    # The cost is visible: per stream, and in the sync's summary, as the fake counted it.
    scanned = fake.stats()["insights"]["bytes_scanned"]
    assert scanned > 0
    finished = [line for line in run.logs("INFO") if line.startswith("Stream 'cheap': finished")]
    assert finished and finished[0].endswith(
        f"; Logs Insights scanned {scanned} bytes ({scanned / 1e9:.3f} GB, billed per GB)."
    )
    assert run.logs("INFO")[-1].endswith(
        f"; Logs Insights scanned {scanned} bytes ({scanned / 1e9:.3f} GB, billed per GB)."
    )
    # The same state shape and rules as every other stream (newest event, learned ingestion lag).
    assert set(run.stream_state("cheap")) == set(run.stream_state("standard"))
    assert run.stream_state("cheap")["newest_event_timestamp"] == cheap[-1][0]


# Issue 20: user text cannot change the connector's query, answers are verified, endpoints that cap `limit`.


def _report(fake: FakeCloudWatch, tmp_path: Path, query: str, **report: Any) -> Any:
    settings = config(
        fake.url,
        custom_log_reports=[{"name": "report", "log_group_name": "/app/ia", "query": query, **report}],
        log_group_prefix="/none",
    )
    return settings, _read(tmp_path, settings)


def test_a_report_query_ending_in_a_comment_reads_every_event_once(fake: FakeCloudWatch, tmp_path: Path) -> None:
    events = [(BASE + i * 7, f"event {i}") for i in range(60)]
    _infrequent(fake, "/app/ia", events)
    fake.plan.query_row_cap = 25  # more matching events in the window than one query returns
    _, run = _report(fake, tmp_path, "fields @timestamp, @message # every event, oldest first")
    assert run.events_of("report") == events
    assert len(set(_ids(run, "report").values())) == 60
    # 25 rows, then from the last row's millisecond on (25 more), then the last 12: three queries.
    assert fake.stats()["insights"]["started"] == 3


def test_a_crowded_millisecond_under_a_commented_report_query_is_read_exactly_with_few_queries(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    crowded = BASE + 100
    expected: list[Event] = [(BASE + i, f"before {i}") for i in range(10)]
    for stream, count in (("a", 12), ("b", 12), ("c", 6)):
        batch = [(crowded, f"{stream} {i:02d}") for i in range(count)]
        _infrequent(fake, "/app/ia", batch, stream=stream)
        expected += batch
    after = [(BASE + 101 + i, f"after {i}") for i in range(10)]
    _infrequent(fake, "/app/ia", expected[:10] + after)
    expected += after
    fake.plan.query_row_cap = 20  # 30 events in one millisecond: more than one query returns
    _, run = _report(fake, tmp_path, "fields @timestamp, @message # one millisecond is crowded")
    assert sorted(run.events_of("report")) == sorted(expected)
    assert len(run.records_of("report")) == len(expected) == 50
    # The window (10 before + 10 crowded), the crowded millisecond (20 rows), its count per log stream, one query
    # per log stream (3), then the rest: 7 queries, not one per row of an answer taken for a count.
    assert fake.stats()["insights"]["started"] == 7


def test_report_fields_named_like_the_connectors_columns_get_names_of_their_own(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    line = {
        "timestamp": "2026-11-30T10:00:00Z",
        "level": "INFO",
        "eventId": "mine",
        "message": "hello",
        "accountId": "999",
        "event_time": "noon",
        "message_json": "text",
    }
    lines = [{**line, "n": i} for i in range(2)]
    _infrequent(fake, "/app/ia", [(BASE + i * 1000, json.dumps(doc)) for i, doc in enumerate(lines)])
    query = "fields @timestamp, @message, timestamp, level, eventId, message, accountId, event_time, message_json"
    settings, run = _report(fake, tmp_path, query, message_format="json")
    (stream,) = run_connector("discover", tmp_path, settings).catalog["streams"]
    properties = stream["json_schema"]["properties"]
    for column in ("eventId", "timestamp", "event_time", "message", "accountId"):
        assert properties[column] == RECORD_SCHEMA["properties"][column], column
    assert properties["message_json"] == columns(JSON)[JSON_COLUMN]
    for column in ("query_timestamp", "level", "query_eventId", "query_message", "query_accountId"):
        assert properties[column] == {"type": ["null", "string"]}, column
    assert properties["query_event_time"] == properties["query_message_json"] == {"type": ["null", "string"]}
    records = run.records_of("report")
    assert all(set(record) <= set(properties) for record in records)
    assert all(len(r["eventId"]) == 32 and isinstance(r["ingestionTime"], int) for r in records)
    assert [{k: v for k, v in r.items() if k not in ("eventId", "ingestionTime")} for r in records] == [
        {
            "timestamp": BASE + i * 1000,
            "event_time": iso_utc(BASE + i * 1000),
            "message": json.dumps(doc),
            "message_json": doc,
            "logStreamName": "s",
            "logGroupName": "/app/ia",
            "accountId": "123456789012",
            "awsRegion": "us-east-1",
            "query_timestamp": "2026-11-30T10:00:00Z",
            "level": "INFO",
            "query_eventId": "mine",
            "query_message": "hello",
            "query_accountId": "999",
            "query_event_time": "noon",
            "query_message_json": "text",
        }
        for i, doc in enumerate(lines)
    ]
    assert run.stream_state("report")["timestamp"] > BASE + 1000  # the integer cursor, untouched


def test_an_endpoint_whose_query_limit_stops_lower_is_read_with_its_limit_said_once(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    events = [(BASE + i * 5, f"event {i}") for i in range(50)]
    _infrequent(fake, "cheap", events)
    fake.plan.max_query_limit = 20  # an endpoint at 10,000, scaled down to keep the test small
    run = _read(tmp_path, config(fake.url))
    assert run.events_of("cheap") == events
    limits = [params["limit"] for operation, params in fake.requests if operation == "StartQuery"]
    assert limits == [100_000, 20, 20, 20]  # refused once; then 20 rows, 20 more, the last 12
    warnings = [line for line in run.logs("WARN") if "Logs Insights" in line]
    assert warnings == [
        f"Logs Insights at {fake.url} refused StartQuery's limit of 100000 rows (1 validation error detected: "
        "Value '100000' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 20): "
        "every query of this sync asks for at most 20 rows instead, so windows holding more events take more "
        "queries. Nothing is skipped."
    ]


def test_check_does_not_ask_to_fix_a_query_when_the_connectors_own_query_fails(
    fake: FakeCloudWatch, tmp_path: Path
) -> None:
    _infrequent(fake, "cheap", [(BASE, "x")])
    fake.plan.malformed_query_text = "toMillis"  # an endpoint whose Logs Insights lacks a function the connector uses
    run = run_connector("check", tmp_path, config(fake.url))
    assert run.connection_status == {
        "status": "FAILED",
        "message": "Listing log groups works, but reading 'cheap' fails: Logs Insights cannot compile the "
        "connector's own query (unexpected symbol found toMillis at line 1 and position 1). It is not a query from "
        "the configuration, so there is nothing in it to fix: check that endpoint_url, if set, is a CloudWatch Logs "
        "endpoint with Logs Insights, and otherwise report this message to the connector's maintainers.",
    }


def test_check_refuses_display_and_sees_stats_behind_a_leading_comment(fake: FakeCloudWatch, tmp_path: Path) -> None:
    _report_group(fake)
    report = {"name": "r", "log_group_name": "/aws/apigateway/shop"}
    displayed = {**report, "query": "fields @timestamp, status | display status"}
    run = run_connector("check", tmp_path, config(fake.url, custom_log_reports=[displayed]))
    assert run.connection_status == {
        "status": "FAILED",
        "message": "Invalid configuration: `custom_log_reports[0].query` uses `display`, which keeps only the "
        "fields it lists (and only the last `display` counts), so the @timestamp, @logStream and @ingestionTime "
        "every record needs would be missing; list the fields with `fields` instead.",
    }
    hidden = {**report, "query": "# errors per status\nstats count(*) by status"}
    run = run_connector("check", tmp_path, config(fake.url, custom_log_reports=[hidden]))
    assert run.connection_status["status"] == "FAILED"
    assert run.connection_status["message"].startswith(
        "Invalid configuration: `custom_log_reports[0].query` uses `stats`, which aggregates events"
    )
    assert fake.stats()["insights"]["started"] == 0  # refused before any query is sent


def test_a_json_field_holding_half_a_surrogate_pair_is_read_and_keyed(fake: FakeCloudWatch, tmp_path: Path) -> None:
    """Issue 20 item 12: a JSON log line may escape half of a UTF-16 pair (`\\ud83d`, valid ASCII in the message);
    Insights discovers the field and answers its value, which UTF-8 cannot hold. The record keys it (it used to
    crash the eventId digest) and writes U+FFFD for the half; the message itself is kept byte for byte."""
    client = logs_client(fake.url)
    lines = ['{"note": "half \\ud83d pair", "n": 1}', '{"note": "whole \\ud83d\\ude80", "n": 2}']
    put_events(client, "/app/json", "s", [(BASE + i, line) for i, line in enumerate(lines)])
    report = {"name": "notes", "log_group_name": "/app/json", "query": "fields @timestamp, @message, note"}
    run = _read(tmp_path, config(fake.url, custom_log_reports=[report], log_group_prefix="/none"))

    records = run.records_of("notes")
    assert [(r["timestamp"], r["message"], r["note"]) for r in records] == [
        (BASE, lines[0], "half \ufffd pair"),
        (BASE + 1, lines[1], "whole \U0001f680"),
    ]
    assert len({r["eventId"] for r in records}) == 2
