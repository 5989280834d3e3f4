"""The late-event sweep's Logs Insights query: where events arrived late, per log stream of each log group asked.

FilterLogEvents selects by timestamp only; Logs Insights can also select by ingestion time (`@ingestionTime`, a
system field of every event). One query covers up to MAX_GROUPS log groups (StartQuery: "You can include up to
50 log groups") and answers one small row per log stream that holds matching events:

    filter toMillis(@ingestionTime) >= <ingested_from_ms>
      and toMillis(@ingestionTime) - toMillis(@timestamp) > <min_lag_ms>
      and toMillis(@timestamp) >= <from_ms> and toMillis(@timestamp) < <to_ms>
    | stats count(*) as late_events, min(@timestamp) as first_ts, max(@timestamp) as last_ts by @log, @logStream

`@log` is `<account-id>:<log-group-name>` ("Supported logs and discovered fields"); a row is matched to the
group it names by account and name, or by name alone when the account is not known. Insights writes a time as
`YYYY-MM-DD HH:MM:SS.mmm` (UTC); epoch milliseconds are read too (the docs do not say how `min(@timestamp)` is
written). A row that names no asked group, or whose times cannot be read, is an `UnexpectedAnswer`.

Tests: unit_tests/aws/test_sweep_query.py (text, chunks, rows), integration_tests/test_sweep.py (against the
fake, which models these fields, functions and statistics).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError

from source_cloudwatch_logs.aws.client import LogsClient
from source_cloudwatch_logs.aws.errors import UnexpectedAnswer, error_code
from source_cloudwatch_logs.aws.insights import LogsInsights, QueryResult, QuerySpec

MAX_GROUPS = 50  # StartQuery's logGroupNames / logGroupIdentifiers: "You can include up to 50 log groups."
COUNT, FIRST, LAST = "late_events", "first_ts", "last_ts"
_INSIGHTS_TIME = "%Y-%m-%d %H:%M:%S.%f"


@dataclass(frozen=True)
class SweepTarget:
    """One log group to sweep: how a query names it (`identifier`: name or ARN), its name and account (to match
    `@log`), and the events it asks about: timestamp in `[from_ms, to_ms)`, ingested at or after
    `ingested_from_ms`, later than `min_lag_ms` after their timestamp."""

    key: str  # the caller's name for it (the stream)
    identifier: str
    group: str
    account: str | None
    from_ms: int
    to_ms: int
    ingested_from_ms: int
    min_lag_ms: int


@dataclass(frozen=True)
class LateStream:
    """A log stream of a target that holds late events: how many, between which timestamps (inclusive)."""

    key: str
    log_stream: str
    events: int
    first_ms: int
    last_ms: int


@dataclass(frozen=True)
class SweepAnswer:
    late: list[LateStream]
    queries: int
    bytes_scanned: int


def query_text(targets: Sequence[SweepTarget]) -> str:
    """One query for `targets`: the loosest of their bounds (rows are narrowed to each target's own after)."""
    ingested_from = min(t.ingested_from_ms for t in targets)
    min_lag = min(t.min_lag_ms for t in targets)
    from_ms, to_ms = min(t.from_ms for t in targets), max(t.to_ms for t in targets)
    return (
        f"filter toMillis(@ingestionTime) >= {ingested_from} and toMillis(@ingestionTime) - toMillis(@timestamp) > "
        f"{min_lag} and toMillis(@timestamp) >= {from_ms} and toMillis(@timestamp) < {to_ms}\n"
        f"| stats count(*) as {COUNT}, min(@timestamp) as {FIRST}, max(@timestamp) as {LAST} by @log, @logStream"
    )


def query_spec(targets: Sequence[SweepTarget]) -> QuerySpec:
    """StartQuery's times are epoch seconds, both ends inclusive: the seconds that hold `[from_ms, to_ms)`."""
    from_ms, to_ms = min(t.from_ms for t in targets), max(t.to_ms for t in targets)
    return QuerySpec(
        groups=tuple(t.identifier for t in targets),
        text=query_text(targets),
        start_s=from_ms // 1000,
        end_s=max(from_ms, to_ms - 1) // 1000,
    )


def chunks(targets: Sequence[SweepTarget]) -> list[list[SweepTarget]]:
    """Targets in queries of at most MAX_GROUPS groups (ceil(n / 50) queries), those with near ingestion
    cutoffs together (each query asks from its earliest)."""
    ordered = sorted((t for t in targets if t.from_ms < t.to_ms), key=lambda t: (t.ingested_from_ms, t.key))
    count = math.ceil(len(ordered) / MAX_GROUPS)
    return [ordered[i * MAX_GROUPS : (i + 1) * MAX_GROUPS] for i in range(count)]


def time_ms(value: str) -> int | None:
    """A time as Insights writes it (`2026-11-30 19:40:26.123`, UTC) or as epoch milliseconds."""
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.strptime(text, _INSIGHTS_TIME).replace(tzinfo=UTC)
    except ValueError:
        return None
    return int(moment.timestamp() * 1000 + 0.5)


def late_streams(rows: Sequence[dict[str, str]], targets: Sequence[SweepTarget]) -> Iterator[LateStream]:
    """The rows as late log streams of their targets, each narrowed to its target's timestamp range."""
    by_account = {(t.account, t.group): t for t in targets}
    by_name: dict[str, SweepTarget] = {}
    for each in targets:
        by_name.setdefault(each.group, each)
    for row in rows:
        account, _, group = str(row.get("@log", "")).rpartition(":")
        target: SweepTarget | None = by_account.get((account or None, group)) or by_name.get(group)
        first, last = time_ms(row.get(FIRST, "")), time_ms(row.get(LAST, ""))
        count = row.get(COUNT, "")
        if target is None or first is None or last is None or not count.isdigit() or not row.get("@logStream"):
            raise UnexpectedAnswer(
                f"Logs Insights answered the late-event sweep with a row the query cannot give ({row!r}). The "
                "endpoint does not answer as CloudWatch Logs does: check endpoint_url.",
                internal_message="sweep: unexpected row",
            )
        first, last = max(first, target.from_ms), min(last, target.to_ms - 1)
        if first <= last:
            yield LateStream(target.key, row["@logStream"], int(count), first, last)


def find_late(insights: LogsInsights, targets: Sequence[SweepTarget], *, stream: str) -> SweepAnswer:
    """Run the sweep's queries (ceil(groups / 50)); AWS errors raise as `LogsInsights.run` raises them, naming
    `stream` (what the sync calls the sweep)."""
    late: list[LateStream] = []
    queries = scanned = 0
    for chunk in chunks(targets):
        spec = query_spec(chunk)
        result: QueryResult = insights.run(spec, stream=stream, log_group=", ".join(t.group for t in chunk))
        queries += 1
        scanned += result.bytes_scanned
        late.extend(late_streams(result.rows, chunk))
    return SweepAnswer(late=late, queries=queries, bytes_scanned=scanned)


def probe(logs: LogsClient, identifier: str, at_s: int) -> str | None:
    """The error code if StartQuery or GetQueryResults of a sweep query over one second of the group is refused
    (check), else None. The query is stopped at once; other failures are not this probe's to judge."""
    target = SweepTarget("probe", identifier, identifier, None, at_s * 1000, at_s * 1000 + 1000, at_s * 1000, 0)
    client = logs.client
    try:
        query_id = str(client.start_query(**query_spec([target]).params())["queryId"])
        try:
            client.get_query_results(queryId=query_id)
        finally:
            with contextlib.suppress(ClientError, BotoCoreError):  # it ends by itself
                client.stop_query(queryId=query_id)
    except ClientError as error:
        return error_code(error)
    except BotoCoreError:
        return None
    return None
