"""Times as people read them: the one formatter of epoch milliseconds that messages, records and state warnings
share, the AWS layer's and the connector's alike (unit_tests/aws/test_times.py)."""

from __future__ import annotations

import time


def iso_utc(ms: int) -> str:
    """`2026-11-22T07:10:13.042Z` for epoch milliseconds."""
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"
