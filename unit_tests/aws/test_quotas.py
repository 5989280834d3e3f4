"""Default budgets per region, and the override."""

from __future__ import annotations

from source_cloudwatch_logs.aws.quotas import LOWEST_FILTER_LOG_EVENTS_RPS, budgets, filter_log_events_rps


def test_budgets_follow_the_region_s_published_quotas() -> None:
    same = {"DescribeLogGroups": 10.0, "ListLogGroups": 10.0, "StartQuery": 10.0, "GetQueryResults": 10.0}
    assert budgets("us-east-1", None) == {"FilterLogEvents": 25.0, **same}
    assert budgets("eu-west-1", None) == {"FilterLogEvents": 10.0, **same}
    assert budgets("eu-central-1", None) == {"FilterLogEvents": 5.0, **same}
    # A region the table does not know gets the lowest published value.
    assert filter_log_events_rps("xx-future-9") == LOWEST_FILTER_LOG_EVENTS_RPS == 5.0
    assert filter_log_events_rps("us-gov-west-1") == 5.0


def test_requests_per_second_overrides_filter_and_lowers_describe() -> None:
    assert budgets("us-east-1", 5) == {
        "FilterLogEvents": 5,
        "DescribeLogGroups": 5,
        "ListLogGroups": 5,
        "StartQuery": 5,
        "GetQueryResults": 5,
    }
    assert budgets("eu-central-1", 40) == {
        "FilterLogEvents": 40,
        "DescribeLogGroups": 10.0,
        "ListLogGroups": 10.0,
        "StartQuery": 10.0,
        "GetQueryResults": 10.0,
    }
