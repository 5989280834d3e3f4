from __future__ import annotations

from source_cloudwatch_logs.aws.times import iso_utc


def test_iso_utc_is_exact_to_the_millisecond() -> None:
    assert iso_utc(1_795_000_000_042) == "2026-11-18T11:06:40.042Z"
    assert iso_utc(0) == "1970-01-01T00:00:00.000Z"
