"""The CloudWatch Logs client shared by every stream and thread of one protocol call, paced to the quota.

botocore clients are thread-safe: one is built per check, discover or read and shared by all workers. Retries
(throttling, 5xx, dropped connections) are botocore's own, with an explicit mode and attempt count because the
default mode differs between botocore versions. Each API surface (`log_groups.py`, `log_events.py`) calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError
from botocore.retries import standard

from source_cloudwatch_logs.aws.credentials import make_session
from source_cloudwatch_logs.aws.errors import Action, Failure, aws_failure
from source_cloudwatch_logs.aws.pacing import ApiStats, RateLimiter, pace, parse_events_fast
from source_cloudwatch_logs.aws.quotas import budgets
from source_cloudwatch_logs.aws.settings import AwsSettings
from source_cloudwatch_logs.aws.waits import Waits

RETRY_MODE = "standard"
READ_MAX_ATTEMPTS = 10  # total attempts per call during a sync
CHECK_MAX_ATTEMPTS = 2  # check should answer quickly, even against an unreachable endpoint
CONNECT_TIMEOUT_S = 10
READ_TIMEOUT_S = 60  # a full 1 MB page can take seconds; a silent endpoint costs attempts x this in a sync
CHECK_READ_TIMEOUT_S = 10  # check answers within about CHECK_MAX_ATTEMPTS x (connect + read timeout)
# discover lists every group: 10,000 groups are 200 DescribeLogGroups pages that each answer in well under a
# second, so check's short read timeout fits; one more attempt than check rides out a throttled page. A silent
# endpoint fails it within DISCOVER_MAX_ATTEMPTS x (connect + read timeout), a minute at worst (a schema refresh).
DISCOVER_MAX_ATTEMPTS = 3
DISCOVER_READ_TIMEOUT_S = CHECK_READ_TIMEOUT_S
USER_AGENT = "airbyte-source-cloudwatch-logs"
# Operations an endpoint may lack (ListLogGroups, 2025: moto answers HTTP 500, older endpoints an unknown
# operation): an error answer other than a throttle is not retried, and log_groups.py falls back at once.
REFUSALS_NOT_RETRIED = frozenset({"ListLogGroups"})


def client_config(max_attempts: int, pool_size: int = 10, read_timeout_s: float = READ_TIMEOUT_S) -> Config:
    return Config(
        retries={"mode": RETRY_MODE, "total_max_attempts": max_attempts},
        max_pool_connections=pool_size,
        connect_timeout=CONNECT_TIMEOUT_S,
        read_timeout=read_timeout_s,
        user_agent_extra=USER_AGENT,
    )


class NoRetryQuota:
    """A retry quota that never runs out.

    botocore's standard mode keeps a retry quota per client (500 tokens, 5 per throttled retry, 14 per other
    retry) and silently stops retrying once it is spent: under sustained throttling by another client of the
    account, a sync's calls then failed within a minute. Pacing already bounds the request rate, so here
    throttling only slows a sync down; a call fails only after its own attempts are spent.
    """

    def acquire_retry_quota(self, context: Any) -> bool:
        return True

    def release_retry_quota(self, context: Any, http_response: Any, **kwargs: Any) -> None:
        pass


def retry_without_quota(client: Any, max_attempts: int, waits: Waits | None = None) -> None:
    """Replaces the client's standard retry handler by the same handler with `NoRetryQuota`; each backoff it
    decides is told to `waits` before botocore sleeps it. An error answer to an operation of REFUSALS_NOT_RETRIED
    is not retried unless it is a throttle."""
    name = client.meta.service_model.service_id.hyphenize()
    adapter = standard.RetryEventAdapter()
    detector = standard.ThrottlingErrorDetector(adapter)
    handler = standard.RetryHandler(
        retry_policy=standard.RetryPolicy(
            retry_checker=standard.StandardRetryConditions(max_attempts=max_attempts),
            retry_backoff=standard.ExponentialBackoff(service_name=name, throttling_detector=detector),
        ),
        retry_event_adapter=adapter,
        retry_quota=NoRetryQuota(),
        service_name=name,
    )
    unique_id = f"retry-config-{name}"  # the id botocore registers its handler under
    client.meta.events.unregister(f"needs-retry.{name}", unique_id=unique_id)
    waits = waits or Waits()

    def needs_retry(**kwargs: Any) -> float | None:
        operation, response = kwargs.get("operation"), kwargs.get("response")
        refusable = getattr(operation, "name", None) in REFUSALS_NOT_RETRIED and response is not None
        if refusable and not detector.is_throttling_error(**kwargs):
            return None  # an answer (not a dropped connection) refusing it: the caller falls back
        delay: float | None = handler.needs_retry(**kwargs)
        if delay:
            waits.waiting(delay)
        return delay

    client.meta.events.register(f"needs-retry.{name}", needs_retry, unique_id=unique_id)


def tell_answers(client: Any, waits: Waits) -> None:
    """Every answered call (no error, no exception) is told to `waits`: its stream proceeds."""

    def response_received(parsed_response: Any = None, exception: Any = None, **_: Any) -> None:
        error = parsed_response.get("Error") if isinstance(parsed_response, dict) else None
        if exception is None and not error:
            waits.answered()

    client.meta.events.register("response-received.cloudwatch-logs", response_received)


def default_endpoint(region: str) -> str:
    return f"https://logs.{region}.amazonaws.com"


@dataclass(frozen=True)
class LogsClient:
    """A paced botocore CloudWatch Logs client, where it points, and the statistics of its requests."""

    client: Any
    region: str
    endpoint: str
    stats: ApiStats
    limiters: dict[str, RateLimiter]  # operation -> its pacing
    waits: Waits = field(default_factory=Waits)  # which stream waits for a quota (waits.py)

    def failure(
        self, action: Action, *, stream: str | None = None, log_group: str | None = None, field: str | None = None
    ) -> Failure:
        """Where a failed call of `action` went, for `errors.aws_failure`."""
        return Failure(action, self.region, self.endpoint, stream=stream, log_group=log_group, field=field)


def connect(
    settings: AwsSettings,
    *,
    max_attempts: int = READ_MAX_ATTEMPTS,
    pool_size: int = 10,
    read_timeout_s: float = READ_TIMEOUT_S,
    clock: Callable[[], datetime] | None = None,
    waits: Waits | None = None,
) -> LogsClient:
    """The shared, paced client; a broken credential setup (e.g. AWS_PROFILE naming no profile) is a CONFIG
    `errors.CallFailed` raised here, before any call. `clock` replaces botocore's clock for role renewal (tests);
    `waits` hears the streams' waits for a quota (a sync's; none for check and discover)."""
    botocore_config = client_config(max_attempts, pool_size, read_timeout_s)
    try:
        session = make_session(settings, sts_config=botocore_config, clock=clock)
        client = session.client(
            "logs", region_name=settings.region, endpoint_url=settings.endpoint_url, config=botocore_config
        )
    except BotoCoreError as error:
        endpoint = settings.endpoint_url or default_endpoint(settings.region)
        raise aws_failure(error, Failure(Action.CONNECT, settings.region, endpoint)) from None
    waits = waits or Waits()
    retry_without_quota(client, max_attempts, waits)
    stats = ApiStats()
    limiters = {
        operation: RateLimiter(rate, sleep=waits.sleep)
        for operation, rate in budgets(settings.region, settings.requests_per_second).items()
    }
    pace(client, limiters, stats)
    tell_answers(client, waits)
    client.meta.events.register("before-parse.cloudwatch-logs.FilterLogEvents", parse_events_fast)
    return LogsClient(
        client=client,
        region=settings.region,
        endpoint=client.meta.endpoint_url,
        stats=stats,
        limiters=limiters,
        waits=waits,
    )
