"""`make demo`: CloudWatch Logs into DuckDB with PyAirbyte, against a local CloudWatch endpoint.

1. Starts the local CloudWatch Logs endpoint (moto, behind testkit's fake, which answers FilterLogEvents the way
   AWS does) in the connector's environment (testkit/server_process.py).
2. Seeds about 5,200 events over the last three days: API Gateway REST and HTTP API access logs, the logs of two
   Lambda functions, an application log (demo/seed.py).
3. Runs the connector's own executable through PyAirbyte (check, discover, read) into a DuckDB cache.
4. Queries the cache: rows per stream; requests by status and path from the access logs' parsed columns
   (message_format auto); Lambda durations per function from one merged `lambda_logs` table.
5. Adds a few requests and syncs again: only those are read, from the state PyAirbyte keeps in the cache.
6. An agent that was offline flushes a 3-hour-old buffer into the busy access log, below every event already
   delivered: no timestamp window of a later sync covers them, and the lookback has seen no such lag. The
   late-event sweep (Logs Insights, by ingestion time; due every 24 hours by default, so the demo sets
   `late_sweep_interval_hours` to 0 for this sync) finds them and the third sync delivers them; its completeness
   report is printed from the connector's log.

It runs in the PyAirbyte environment (.venv-pyairbyte: PyAirbyte, DuckDB, boto3), with the parts of testkit
that need nothing else (server_process, seeding); the connector and the endpoint run in the connector's
environment (.venv). Nothing about the connector is special-cased for the demo.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from testkit import ROOT

WORKDIR = ROOT / ".demo"
os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # the connector is local: no registry look-up, no telemetry
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("AIRBYTE_LOGGING_ROOT", str(WORKDIR / "logs"))
# PyAirbyte's optional Google dependencies warn about Python versions at import; not the demo's concern.
warnings.filterwarnings("ignore", category=FutureWarning)

# Imported after the environment is set: PyAirbyte reads it at import.
import airbyte as ab  # noqa: E402

from demo import seed  # noqa: E402
from testkit.seeding import REGION, logs_client, now_ms, put_events  # noqa: E402
from testkit.server_process import fake_cloudwatch  # noqa: E402

CONNECTOR = ROOT / ".venv" / "bin" / "source-cloudwatch-logs"
CONNECTOR_PYTHON = ROOT / ".venv" / "bin" / "python"
INGESTION_DELAY_S = 300  # the connector's default: a sync reads up to 5 minutes before now
LAMBDA_STREAM = "lambda_logs"
LATE_BY_MS, LATE_EVENTS = 3 * 3_600_000, 40  # the flushed buffer: its age and size
SWEEP_LINE = re.compile(r"Late-event sweep: [^\"\n]*|Stream '[^'\n]*': finished[^\"\n]*; late-event sweep: [^\"\n]*")

# message_format auto: the access logs' fields are typed columns (apigw_*), no JSON extraction needed.
ACCESS_LOGS_SQL = """
WITH requests AS (
    SELECT 'REST' AS api, apigw_http_method AS method, regexp_replace(apigw_path, '/[0-9]+$', '/{{id}}') AS route,
           apigw_status AS status
    FROM {rest}
    UNION ALL
    SELECT 'HTTP', apigw_http_method, regexp_replace(apigw_path, '/[0-9]+$', '/{{id}}'), apigw_status
    FROM {http}
)
"""

BY_STATUS_SQL = (
    ACCESS_LOGS_SQL
    + """
SELECT status, count(*) AS requests, count(*) FILTER (WHERE api = 'REST') AS rest_api,
       count(*) FILTER (WHERE api = 'HTTP') AS http_api
FROM requests
GROUP BY status
ORDER BY status
"""
)

BY_ROUTE_SQL = (
    ACCESS_LOGS_SQL
    + """
SELECT api, method, route, count(*) AS requests,
       count(*) FILTER (WHERE status BETWEEN 400 AND 499) AS "4xx",
       count(*) FILTER (WHERE status >= 500) AS "5xx"
FROM requests
GROUP BY ALL
ORDER BY requests DESC, api, route
"""
)

# One merged table for every Lambda function, its REPORT lines parsed into lambda_* columns.
LAMBDA_SQL = """
SELECT loggroupname AS function_log_group,
       count(*) AS invocations,
       round(quantile_cont(lambda_duration_ms, 0.5), 1) AS p50_ms,
       round(quantile_cont(lambda_duration_ms, 0.95), 1) AS p95_ms,
       max(lambda_max_memory_used_mb) AS max_memory_mb,
       count(lambda_init_duration_ms) AS cold_starts
FROM {table}
WHERE message_kind = 'lambda_report'
GROUP BY loggroupname
ORDER BY loggroupname
"""


def step(text: str) -> None:
    print(f"\n==> {text}", flush=True)


def table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "  (no rows)"
    columns = list(rows[0])
    widths = {c: max(len(str(c)), *(len(str(r[c])) for r in rows)) for c in columns}
    lines = ["  " + "  ".join(str(c).ljust(widths[c]) for c in columns)]
    lines += ["  " + "  ".join(str(r[c]).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(lines)


def sync(source: Any, cache: Any) -> Any:
    started = time.monotonic()
    result = source.read(cache=cache)
    print(f"    read {result.processed_records:,} records in {time.monotonic() - started:.1f} s", flush=True)
    return result


def main() -> None:
    if not CONNECTOR.exists():
        sys.exit(f"{CONNECTOR} is missing: run `make demo` (it installs the connector first)")
    shutil.rmtree(WORKDIR / "cache", ignore_errors=True)  # a fresh cache: the first sync reads everything
    WORKDIR.mkdir(exist_ok=True)

    step("Starting a local CloudWatch Logs endpoint (moto)")
    with fake_cloudwatch(python=CONNECTOR_PYTHON, log_path=WORKDIR / "endpoint.log") as endpoint:
        print(f"    {endpoint}")
        client = logs_client(endpoint)
        step("Seeding API Gateway access logs, Lambda logs and an application log (last 3 days)")
        groups = seed.generate(now_ms())
        total = seed.put(client, groups)
        for group in groups:
            print(f"    {group.name:40} {group.count:6,} events in {len(group.streams)} log stream(s)")
        print(f"    {'total':40} {total:6,}")

        config = {
            "region_name": REGION,
            "aws_access_key_id": "demo",
            "aws_secret_access_key": "demo",
            "endpoint_url": endpoint,
            "ingestion_delay_seconds": INGESTION_DELAY_S,
            "log_group_prefix": "/aws/apigateway/",  # one stream per access log group
            "message_format": "auto",  # JSON, Lambda and VPC flow log lines parsed into typed columns
            "custom_log_reports": [
                {"name": LAMBDA_STREAM, "log_group_prefix": "/aws/lambda/"},  # every Lambda function: one table
                {"name": "orders_service", "log_group_name": seed.APP_GROUP},
            ],
        }
        step("PyAirbyte: get_source(local_executable=.venv/bin/source-cloudwatch-logs), check(), read() into DuckDB")
        source = ab.get_source("source-cloudwatch-logs", config=config, local_executable=CONNECTOR)
        source.check()
        source.select_all_streams()
        cache = ab.new_local_cache(cache_name="cloudwatch_demo", cache_dir=WORKDIR / "cache")
        sync(source, cache)
        report(cache)

        step("New requests arrive; the second sync reads only them (the state is kept in the DuckDB cache)")
        # Timestamped inside the window the next sync reads ([previous end, now - ingestion delay)) and put
        # right away: delivered within the ingestion delay, as CloudWatch delivers API Gateway's logs.
        arrived = now_ms() - INGESTION_DELAY_S * 1000 + 1000
        batch = seed.LogGroupData(seed.REST_GROUP)
        rng = seed.random.Random(7)
        for i in range(25):
            batch.add("a1b2c3d4e5-prod", arrived + i * 40, seed.access_log(rng, arrived + i * 40, "a1b2c3d4e5", True))
        put_events(client, batch.name, "a1b2c3d4e5-prod", batch.streams["a1b2c3d4e5-prod"])
        time.sleep(2.5)  # until the last of them is older than `now - ingestion delay`
        before = rest_rows(cache)
        sync(source, cache)
        print(f"    {seed.REST_GROUP}: {before:,} -> {rest_rows(cache):,} rows")

        step("An agent offline for hours flushes its buffer: 40 requests from 3 hours ago, below every delivered event")
        flushed = now_ms() - LATE_BY_MS
        late = seed.LogGroupData(seed.REST_GROUP)
        for i in range(LATE_EVENTS):
            at = flushed + i * 1000
            late.add("a1b2c3d4e5-prod", at, seed.access_log(rng, at, "a1b2c3d4e5", True))
        put_events(client, late.name, "a1b2c3d4e5-prod", late.streams["a1b2c3d4e5-prod"])
        before = rest_rows(cache)
        # The sweep runs every late_sweep_interval_hours (24 by default); the demo asks for one now.
        source.set_config({**config, "late_sweep_interval_hours": 0})
        sync(source, cache)
        print(f"    {seed.REST_GROUP}: {before:,} -> {rest_rows(cache):,} rows (the sweep found the late ones)")
        for line in sweep_report(WORKDIR / "logs", seed.REST_GROUP):
            print(f"    {line}")

    print(f"\nThe DuckDB file: {Path(cache.db_path).relative_to(ROOT)}   (PyAirbyte logs: .demo/logs)")
    print_real_account_help()


def sweep_report(logs: Path, stream: str) -> list[str]:
    """The last sync's completeness report, `stream`'s finished line and the summary, from the connector's log
    lines PyAirbyte keeps under `logs`."""
    lines: list[str] = []
    for path in sorted(logs.rglob("*.log"), key=lambda p: p.stat().st_mtime):
        lines += [m.group(0) for m in SWEEP_LINE.finditer(path.read_text(errors="replace"))]
    finished = [line for line in lines if f"Stream '{stream}': finished" in line]
    summary = [line for line in lines if line.startswith("Late-event sweep:")]
    return finished[-1:] + summary[-1:]


def table_name(cache: Any, stream: str) -> str:
    return f'{cache.schema_name}."{cache.processor.get_sql_table_name(stream)}"'


def rest_rows(cache: Any) -> int:
    return int(cache.run_sql_query(f"SELECT count(*) AS n FROM {table_name(cache, seed.REST_GROUP)}")[0]["n"])


def report(cache: Any) -> None:
    step(f"Rows per stream (a table per access log group; {LAMBDA_STREAM} merges every /aws/lambda/ group)")
    counts = []
    for stream in sorted(cache.streams):
        name = table_name(cache, stream)
        (row,) = cache.run_sql_query(f"SELECT count(*) AS n FROM {name}")
        counts.append({"stream": stream, "table": name, "rows": row["n"]})
    print(table(counts))

    rest, http = table_name(cache, seed.REST_GROUP), table_name(cache, seed.HTTP_GROUP)
    step("Access logs: requests by status code (typed apigw_* columns: no JSON extraction in the SQL)")
    print(table(cache.run_sql_query(BY_STATUS_SQL.format(rest=rest, http=http))))
    step("Access logs: requests by route")
    print(table(cache.run_sql_query(BY_ROUTE_SQL.format(rest=rest, http=http))))
    step(f"Lambda durations per function, from the parsed REPORT lines of the merged {LAMBDA_STREAM} table")
    print(table(cache.run_sql_query(LAMBDA_SQL.format(table=table_name(cache, LAMBDA_STREAM)))))


def print_real_account_help() -> None:
    print(
        """
==> Against a real AWS account
  Config (the IAM principal needs logs:DescribeLogGroups and logs:FilterLogEvents; logs:StartQuery,
  logs:GetQueryResults and logs:StopQuery for the late-event sweep; docs/setup.md has the policy):
    {
      "region_name": "eu-west-1",
      "aws_access_key_id": "...", "aws_secret_access_key": "...",   (or neither: the default credential chain)
      "role_arn": "arn:aws:iam::123456789012:role/airbyte-cloudwatch-reader",   (optional)
      "log_group_prefix": "/aws/lambda/",                                         (optional)
      "start_date": "2026-11-01T00:00:00Z"                                        (optional)
    }
  With Docker (make image builds airbyte/source-cloudwatch-logs:dev):
    docker run --rm -i -v "$PWD/secrets:/secrets" airbyte/source-cloudwatch-logs:dev \\
        check --config /secrets/config.json
  With PyAirbyte:
    ab.get_source("source-cloudwatch-logs", config=config,
                  local_executable=".venv/bin/source-cloudwatch-logs").read()
  In Airbyte: Settings > Sources > New connector > "Add a new Docker connector",
    image airbyte/source-cloudwatch-logs, tag 0.2.0 (see README.md)."""
    )


if __name__ == "__main__":
    main()
