"""The entry point writes a page of records at a time (source_cloudwatch_logs/batches.py). Proof that it is the
CDK's path, message for message: one scenario read by the real entry point (a subprocess, batched) and by the
CDK's own entry point in this process (one record at a time), whose RECORD, STATE and stream-status messages
must be the same bytes once `emitted_at` is taken out. Faked: the fake's clock is frozen, so that both reads end
at the same "now". The sweep's re-reads use the same output path (sweep.SweepPartition is a LogEventsPartition)."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from source_cloudwatch_logs import SourceCloudwatchLogs
from source_cloudwatch_logs.output import PlainRecords
from source_cloudwatch_logs.run import Entrypoint
from testkit.connector import config, discovered_catalog, run_connector, write_inputs
from testkit.fake_logs import FakeCloudWatch
from testkit.messages import state_entry
from testkit.seeding import DAY, logs_client, now_ms, put_events

EMITTED_AT = re.compile(r',"emitted_at":[0-9.]+')


def _protocol(lines: list[str]) -> tuple[Counter[str], dict[str, list[str]]]:
    """RECORD, STATE and STREAM_STATUS lines without `emitted_at` (all of them), and per stream the sequence of
    its statuses and states (the order the platform relies on)."""
    kept: Counter[str] = Counter()
    sequences: dict[str, list[str]] = {}
    for line in lines:
        message = json.loads(line)
        kind = message["type"]
        if (kind == "TRACE" and message["trace"]["type"] != "STREAM_STATUS") or kind not in (
            "RECORD",
            "STATE",
            "TRACE",
        ):
            continue
        normalised = EMITTED_AT.sub("", line)
        kept[normalised] += 1
        if kind == "STATE":
            sequences.setdefault(message["state"]["stream"]["stream_descriptor"]["name"], []).append(normalised)
        elif kind == "TRACE":
            name = message["trace"]["stream_status"]["stream_descriptor"]["name"]
            sequences.setdefault(name, []).append(normalised)
    return kept, sequences


def test_batched_output_is_the_cdk_s_byte_for_byte(fake: FakeCloudWatch, tmp_path: Path) -> None:
    rng = random.Random(3)
    base = now_ms() - DAY
    tricky = ['"quoted" \\ back\\slash', "tab\tnew\nline \x00 \x1f", "日本語 ✓ 😀", '{"json": [1, 2.5e3, null]}', ""]
    client = logs_client(fake.url)
    for group, count in (("/batch/api", 2_500), ("/batch/worker", 700), ("/batch/one", 1), ("/batch/empty", 0)):
        client.create_log_group(logGroupName=group)
        events = [(base + rng.randint(0, 3_600_000), f"{group} {i} {rng.choice(tricky)}") for i in range(count)]
        if events:
            put_events(client, group, "s", events)
        else:
            client.create_log_stream(logGroupName=group, logStreamName="s")
    fake.plan.page_event_cap = 300  # several pages, so several batches, per window
    frozen = datetime.now(UTC)
    fake.clock = lambda: frozen  # both reads end at the same "now" (the fake's Date header)
    # Without the late-event sweep: from this hand-made state it would re-read /batch/worker's events below the
    # state (put a day late) in a partition of their own, at once with the window, and the records counted in each
    # STATE message (`sourceStats.recordCount`) would then depend on which finished first.
    settings = config(fake.url, late_sweep_span_hours=0)
    catalog = discovered_catalog(settings)
    state = [state_entry("/batch/worker", base + 1_800_000)]  # one stream incremental from the middle

    batched = run_connector("read", tmp_path, settings, catalog=catalog, state=state)
    assert batched.returncode == 0, batched.stderr[-2000:]
    files = write_inputs(tmp_path, config=settings, catalog=catalog, state=state)
    entrypoint = Entrypoint(SourceCloudwatchLogs(output=PlainRecords()))
    args = entrypoint.parse_args(["read", *(arg for name, path in files.items() for arg in (f"--{name}", str(path)))])
    one_by_one = list(entrypoint.run(args))

    batched_lines = batched.stdout.splitlines()
    assert _protocol(batched_lines) == _protocol(one_by_one)
    records = sum(1 for line in batched_lines if line.startswith('{"type":"RECORD"'))
    assert records == 2_500 + 1 + sum(1 for r in batched.records if r["stream"] == "/batch/worker") > 2_600
    # The CDK's own count of records read, per stream, is the events (not the batches).
    assert "Read 2500 records from /batch/api stream" in batched.logs("INFO")
