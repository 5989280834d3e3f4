"""Runs the connector through PyAirbyte into a DuckDB cache, inside the PyAirbyte virtual environment.

PyAirbyte pins its own airbyte-cdk, so it lives in `.venv-pyairbyte`, not in the connector's environment;
the tests start this script there as a subprocess:

    .venv-pyairbyte/bin/python testkit/pyairbyte_runner.py '<job as JSON>'

The job: {"config": {...}, "cache_dir": "...", and either "local_executable": "/path/to/source-cloudwatch-logs"
or "docker_image": "airbyte/source-cloudwatch-logs:dev"}. It runs check(), select_all_streams() and read()
into the cache (the cache keeps the incremental state, so a second run with the same cache_dir reads only new
events), then prints one JSON line: the check result, the records this read processed, and per table its
columns, their DuckDB types and its rows as [eventid, timestamp, message, logstreamname, loggroupname].

Only the standard library and PyAirbyte are imported: this file never runs in the connector's environment.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("AIRBYTE_OFFLINE_MODE", "1")  # no registry look-up, no telemetry
os.environ.setdefault("DO_NOT_TRACK", "1")

import airbyte as ab  # after the environment is set: PyAirbyte reads it at import

CONNECTOR = "source-cloudwatch-logs"


def get_source(job: dict[str, Any]) -> Any:
    if job.get("docker_image"):
        # Host networking: the CloudWatch endpoint of the tests listens on the host's loopback.
        return ab.get_source(CONNECTOR, config=job["config"], docker_image=job["docker_image"], use_host_network=True)
    return ab.get_source(CONNECTOR, config=job["config"], local_executable=job["local_executable"])


def tables(cache: Any) -> dict[str, Any]:
    """Every table PyAirbyte wrote for a stream: its columns and its rows, through the cache's own connection."""
    schema = cache.schema_name
    found: dict[str, Any] = {}
    names = cache.run_sql_query(
        f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{schema}' ORDER BY table_name"
    )
    for name in (row["table_name"] for row in names):
        if name.startswith("_airbyte_"):  # PyAirbyte's own bookkeeping (state, stream names)
            continue
        columns = cache.run_sql_query(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = '{schema}' AND table_name = '{name}' ORDER BY ordinal_position"
        )
        rows = cache.run_sql_query(
            f'SELECT eventid, "timestamp", message, logstreamname, loggroupname FROM "{schema}"."{name}" '
            'ORDER BY "timestamp", eventid'
        )
        found[name] = {
            "columns": [c["column_name"] for c in columns],
            "types": {c["column_name"]: c["data_type"] for c in columns},
            "rows": [list(r.values()) for r in rows],
        }
    return found


def main(job: dict[str, Any]) -> dict[str, Any]:
    cache_dir = Path(job["cache_dir"])
    cache = ab.new_local_cache(cache_name="cloudwatch", cache_dir=cache_dir)
    source = get_source(job)
    source.check()
    source.select_all_streams()
    result = source.read(cache=cache)
    report = {
        "checked": True,
        "streams": sorted(source.get_selected_streams()),
        "processed_records": result.processed_records,
        "cache_streams": sorted(result.streams),
    }
    report["tables"] = tables(cache)
    return report


if __name__ == "__main__":
    print("RESULT " + json.dumps(main(json.loads(sys.argv[1])), default=str), flush=True)
