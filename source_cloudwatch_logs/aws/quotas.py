"""The CloudWatch Logs API quotas per account and region that the connector paces itself to by default.

Source: the "CloudWatch Logs quotas" page of the Amazon CloudWatch Logs user guide
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html), read 2026-11. The
quotas are shared by every client of the account in the region (console, dashboards, other tools), and AWS
changes them: `requests_per_second` overrides the FilterLogEvents budget. A region missing from the table (a
new one, GovCloud, China) gets the lowest published value.
"""

from __future__ import annotations

QUOTAS_CHECKED = "2026-11"

# FilterLogEvents, requests per second (not adjustable).
FILTER_LOG_EVENTS_RPS: dict[str, float] = {
    "us-east-1": 25.0,
    **dict.fromkeys(("ap-northeast-3", "ap-southeast-3", "ca-west-1", "eu-central-1", "il-central-1"), 5.0),
    **dict.fromkeys(
        (
            "us-east-2",
            "us-west-1",
            "us-west-2",
            "af-south-1",
            "ap-east-1",
            "ap-northeast-1",
            "ap-northeast-2",
            "ap-south-1",
            "ap-south-2",
            "ap-southeast-1",
            "ap-southeast-2",
            "ap-southeast-4",
            "ap-southeast-5",
            "ap-southeast-7",
            "ca-central-1",
            "eu-central-2",
            "eu-north-1",
            "eu-south-1",
            "eu-south-2",
            "eu-west-1",
            "eu-west-2",
            "eu-west-3",
            "me-central-1",
            "me-south-1",
            "mx-central-1",
            "sa-east-1",
        ),
        10.0,
    ),
}
LOWEST_FILTER_LOG_EVENTS_RPS = min(FILTER_LOG_EVENTS_RPS.values())

# The same everywhere: DescribeLogGroups (adjustable), StartQuery and GetQueryResults (not adjustable).
DESCRIBE_LOG_GROUPS_RPS = 10.0
START_QUERY_RPS = 10.0
GET_QUERY_RESULTS_RPS = 10.0
# Concurrent Logs Insights queries: 100 per account, dashboards and scheduled queries included, and far fewer on
# Infrequent Access log groups. A sync takes at most this many by default (`max_concurrent_queries`).
# ListLogGroups (2025) is not on the quotas page as read 2026-11: unknown, so paced like DescribeLogGroups.
LIST_LOG_GROUPS_RPS = DESCRIBE_LOG_GROUPS_RPS
CONCURRENT_QUERIES = 100
DEFAULT_MAX_CONCURRENT_QUERIES = 5


def filter_log_events_rps(region: str) -> float:
    return FILTER_LOG_EVENTS_RPS.get(region, LOWEST_FILTER_LOG_EVENTS_RPS)


def budgets(region: str, override: float | None) -> dict[str, float]:
    """Requests per second per paced operation: the region's quotas, or `override` for FilterLogEvents (and for
    the others when lower: a user who lowers the rate wants the connector to take less of the account)."""

    def capped(quota: float) -> float:
        return min(quota, override) if override is not None else quota

    return {
        "FilterLogEvents": override if override is not None else filter_log_events_rps(region),
        "DescribeLogGroups": capped(DESCRIBE_LOG_GROUPS_RPS),
        "ListLogGroups": capped(LIST_LOG_GROUPS_RPS),
        "StartQuery": capped(START_QUERY_RPS),
        "GetQueryResults": capped(GET_QUERY_RESULTS_RPS),
    }
