"""What the README and the repository layout say agrees with the code: every number the README quotes about
settings and internals comes from the constant it describes, and unit_tests/ mirrors the package."""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.run import JSON_COST_LIMIT
from source_cloudwatch_logs.aws.client import (
    CHECK_MAX_ATTEMPTS,
    CHECK_READ_TIMEOUT_S,
    CONNECT_TIMEOUT_S,
    READ_MAX_ATTEMPTS,
    READ_TIMEOUT_S,
)
from source_cloudwatch_logs.aws.insights import (
    BUSY_DEADLINE_S,
    BUSY_WAIT_MAX_S,
    BUSY_WAIT_S,
    PAGE_ROWS,
    POLL_FIRST_S,
    POLL_GROWTH,
    POLL_MAX_S,
    ROW_LIMIT,
)
from source_cloudwatch_logs.aws.pacing import (
    DECREASE,
    DECREASE_HOLD_S,
    INCREASE_PER_S,
    LATENCY_ALLOWANCE_S,
    workers_for,
)
from source_cloudwatch_logs.aws.quotas import (
    CONCURRENT_QUERIES,
    DEFAULT_MAX_CONCURRENT_QUERIES,
    DESCRIBE_LOG_GROUPS_RPS,
    GET_QUERY_RESULTS_RPS,
    LOWEST_FILTER_LOG_EVENTS_RPS,
    QUOTAS_CHECKED,
    START_QUERY_RPS,
    filter_log_events_rps,
)
from source_cloudwatch_logs.lookback import LAG_HALF_LIFE_MS, LAG_HEADROOM
from source_cloudwatch_logs.progress import REPORT_EVERY_SECONDS
from source_cloudwatch_logs.records import IDENTIFIER_LIMIT
from source_cloudwatch_logs.spec import CloudWatchLogsConfig
from source_cloudwatch_logs.state import EMPTY_FROM_KEY, MAX_BACKDATE_MS, NEWEST_KEY, TARGET_WINDOW_BYTES

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def config_table() -> dict[str, str]:
    """The README's configuration table: key -> default column."""
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[0].startswith("`"):
            for key in re.findall(r"`(\w+)`", cells[0]):
                rows[key] = cells[1]
    return rows


def test_every_setting_is_documented_with_its_default() -> None:
    table = config_table()
    assert set(table) == set(CloudWatchLogsConfig.model_fields)
    for key, field in CloudWatchLogsConfig.model_fields.items():
        if isinstance(field.default, int | float) and not isinstance(field.default, bool):
            assert table[key] == f"{field.default:g}", key


def test_numbers_the_readme_quotes_are_the_code_s() -> None:
    assert f"about {TARGET_WINDOW_BYTES // 2**20} MB each" in README
    assert f"`standard` mode, {READ_MAX_ATTEMPTS} attempts" in README
    assert f"every {REPORT_EVERY_SECONDS:g} s" in README
    assert "`before-sign` event" in README
    check_worst = CHECK_MAX_ATTEMPTS * (CONNECT_TIMEOUT_S + CHECK_READ_TIMEOUT_S)
    assert f"It answers within about {check_worst} s" in README
    assert (
        f"({CHECK_MAX_ATTEMPTS} attempts, {CONNECT_TIMEOUT_S} s to connect, {CHECK_READ_TIMEOUT_S} s to read)" in README
    )
    assert f"a sync allows {READ_MAX_ATTEMPTS} attempts and {READ_TIMEOUT_S} s per read" in README
    sync_worst_min = round(READ_MAX_ATTEMPTS * (CONNECT_TIMEOUT_S + READ_TIMEOUT_S) / 60)
    assert f"fails a sync after about {sync_worst_min} minutes" in README
    assert f"Postgres keeps {IDENTIFIER_LIMIT})" in README
    assert f"halves every {LAG_HALF_LIFE_MS // 3_600_000} hours of progress" in README
    assert f"re-reads {LAG_HEADROOM:g} times that lag minus" in README
    max_lookback = CloudWatchLogsConfig.model_fields["max_lookback_seconds"]
    assert f"`max_lookback_seconds` ({max_lookback.default} by default;" in README
    assert f"at most {MAX_BACKDATE_MS // 1000}, 14 days)" in README
    assert f"`{EMPTY_FROM_KEY}`, for a stream that has shown no event yet" in README
    assert f"`{NEWEST_KEY}`, the newest event emitted below the watermark" in README


def test_the_quota_table_and_pacing_numbers_are_the_code_s() -> None:
    upper = CloudWatchLogsConfig.model_fields["num_workers"].default
    rows = {
        "us-east-1": filter_log_events_rps("us-east-1"),
        "ap-northeast-3, ap-southeast-3, ca-west-1, eu-central-1, il-central-1": filter_log_events_rps("eu-central-1"),
        "every other commercial region (us-east-2, us-west-2, eu-west-1, ap-southeast-2, ...)": filter_log_events_rps(
            "eu-west-1"
        ),
    }
    for region, rate in rows.items():
        seconds = round(1000 / rate)
        assert f"| {region} | {rate:g}/s | {rate:g}/s | {workers_for(rate, upper)} | {seconds} s |" in README, region
    lowest = LOWEST_FILTER_LOG_EVENTS_RPS
    assert (
        f"| check the quotas page | {lowest:g}/s | {workers_for(lowest, upper)} | {round(1000 / lowest)} s |" in README
    )
    assert f"checked {QUOTAS_CHECKED}" in README
    assert f"its own quota of {DESCRIBE_LOG_GROUPS_RPS:g}/s (adjustable), so 5,000" in README
    assert f"listed in about {round(100 / DESCRIBE_LOG_GROUPS_RPS)} s" in README
    assert f"cuts the connector's rate to {DECREASE:g} of itself (at most once a" in README
    assert DECREASE_HOLD_S == 1.0
    assert f"gives back {INCREASE_PER_S:.0%} of the budget" in README
    assert f"`rate x {LATENCY_ALLOWANCE_S:g} s + 2`" in README
    assert f"at most `num_workers` (default {upper})" in README
    # The spec's descriptions quote the same numbers.
    rate_text = CloudWatchLogsConfig.model_fields["requests_per_second"].description or ""
    assert (
        f"({filter_log_events_rps('us-east-1'):g} in us-east-1, {filter_log_events_rps('eu-west-1'):g} in most regions, "
        f"{filter_log_events_rps('eu-central-1'):g} in a few)" in rate_text
    )
    workers_text = CloudWatchLogsConfig.model_fields["num_workers"].description or ""
    assert f"({workers_for(25, upper)} at 25 requests per second)" in workers_text


def test_the_logs_insights_numbers_are_the_code_s() -> None:
    section = README.split("## Infrequent Access log groups and query reports", 1)[1].split("\n## ", 1)[0]
    assert f"A query returns at most {ROW_LIMIT:,} rows" in section
    assert f"paged\nby GetQueryResults {PAGE_ROWS:,} at a time" in section
    assert f"({START_QUERY_RPS:g}/s each per account and" in section and START_QUERY_RPS == GET_QUERY_RESULTS_RPS
    assert f"`max_concurrent_queries` queries (default {DEFAULT_MAX_CONCURRENT_QUERIES})" in section
    assert f"the account's limit ({CONCURRENT_QUERIES} Logs Insights queries" in section
    assert f"waiting {BUSY_WAIT_S:g} s, {BUSY_WAIT_S * 2:g} s, ... up to a minute" in section and BUSY_WAIT_MAX_S == 60
    assert f"for up to {BUSY_DEADLINE_S / 60:g} minutes" in section
    polled = (
        f"polled after {POLL_FIRST_S:g} s, then {POLL_GROWTH:g} times later each time, up to\nevery {POLL_MAX_S:g} s"
    )
    assert polled in section
    default = CloudWatchLogsConfig.model_fields["max_concurrent_queries"].default
    assert default == DEFAULT_MAX_CONCURRENT_QUERIES


def test_the_parsing_cost_the_readme_quotes_is_what_the_benchmark_checks() -> None:
    assert f"`json` costs at most {JSON_COST_LIMIT - 1:.0%} more wall time than `raw` in `make bench`" in README


def test_unit_tests_mirror_the_package_module_for_module() -> None:
    """`source_cloudwatch_logs/aws/client.py` is tested in `unit_tests/aws/test_client.py`, and so on."""
    package = ROOT / "source_cloudwatch_logs"
    modules = {p.relative_to(package).with_suffix("") for p in package.rglob("*.py") if p.stem != "__init__"}
    tests = {
        p.relative_to(ROOT / "unit_tests").with_name(p.stem.removeprefix("test_"))
        for p in (ROOT / "unit_tests").rglob("test_*.py")
    }
    assert modules - tests == set()
