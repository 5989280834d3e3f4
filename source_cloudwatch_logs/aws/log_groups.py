"""DescribeLogGroups: paging, CloudWatch's clock, and this API's failures as this layer's errors.

Every answer is checked against what was asked before it is used: endpoints built on moto (LocalStack, moto
itself) ignore `logGroupIdentifiers` and answer the whole listing, and an endpoint may not honour a prefix or
`accountIdentifiers` either. `named` keeps only the groups whose name (a name asked for) or ARN (an ARN asked
for) is one that was asked; `list` keeps only names under the prefix and, narrowed to some linked accounts, only
those accounts' groups and the credentials' own.

Names and ARNs are asked for in separate calls: ARNs with `includeLinkedAccounts: true` (whether AWS answers a
source account's ARN without it is not documented), names without it (so a group of another account can never
answer a plain name).

Listing for `discover` and `check` (`LogGroups(summaries=True)`): they need a group's name, ARN and class only,
which ListLogGroups (2025) answers LIST_PAGE_SIZE groups a call ("The maximum number of log groups to return",
1 to 1,000; API Reference) against DescribeLogGroups' DESCRIBE_PAGE_SIZE: 10,000 groups take 10 calls instead
of 200. A prefix goes as `logGroupNamePattern` `^<prefix>` ("Use ^ to match log group names by prefix"; each
pattern 3 to 24 characters, so a shorter prefix is not sent and a longer one is cut: the answer is filtered
here); the API promises no order, so a caller that needs one sorts (`by_name`). Where an endpoint answers
ListLogGroups with an error other than a throttle (an endpoint that lacks it: moto answers HTTP 500, older
ones an unknown operation; a policy without `logs:ListLogGroups`), it is not retried (client.py) and this
LogGroups lists with DescribeLogGroups, as a sync does, from then on; `tell` says so once. A sync's listing
(plan.py: merged prefix reports) needs creation time, retention and stored bytes (ranges.py), which only
DescribeLogGroups gives: it keeps DescribeLogGroups. Proved by unit_tests/aws/test_log_groups.py and
integration_tests/test_discover_listing.py.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from source_cloudwatch_logs.aws.client import LogsClient
from source_cloudwatch_logs.aws.errors import (
    CREDENTIAL_ERROR_CODES,
    Action,
    aws_failure,
    error_code,
    is_assume_role_error,
)

DESCRIBE_PAGE_SIZE = 50  # the API maximum
LIST_PAGE_SIZE = 1_000  # ListLogGroups' maximum
PATTERN_MIN_CHARS, PATTERN_MAX_CHARS = 3, 24  # a logGroupNamePattern's length, without its `^`
IDENTIFIERS_PER_CALL = 50  # logGroupIdentifiers: at most 50 names a call
# FilterLogEvents works only on these classes; on INFREQUENT_ACCESS (and the newer DELIVERY class)
# it fails with InvalidOperationException. A missing class is a group created before classes existed.
FILTERABLE_CLASSES = {None, "STANDARD"}
INFREQUENT_ACCESS = "INFREQUENT_ACCESS"  # read with Logs Insights instead; DELIVERY groups cannot be read at all


LINKED_SEPARATOR = ":"  # never in a log group name: `<account id>:<name>` names a linked account's group
# What AWS accepts as a log group name (DescribeLogGroups' and FilterLogEvents' pattern, 1 to 512 characters).
GROUP_NAME = re.compile(r"[\.\-_/#A-Za-z0-9]{1,512}")


@dataclass(frozen=True)
class LogGroup:
    name: str
    creation_ms: int | None
    retention_days: int | None
    stored_bytes: int | None
    log_class: str | None
    arn: str | None = None  # without the trailing ':*', as logGroupIdentifier takes it

    @classmethod
    def from_api(cls, group: Mapping[str, Any]) -> LogGroup:
        arn = group.get("logGroupArn") or str(group.get("arn") or "").removesuffix(":*")
        return cls(
            name=group["logGroupName"],
            creation_ms=group.get("creationTime"),
            retention_days=group.get("retentionInDays"),
            stored_bytes=group.get("storedBytes"),
            log_class=group.get("logGroupClass"),
            arn=arn or None,
        )

    @property
    def account_id(self) -> str | None:
        """The account that owns the group (from its ARN)."""
        parts = (self.arn or "").split(":")
        return parts[4] if len(parts) > 5 else None

    @property
    def filterable(self) -> bool:
        """FilterLogEvents works on it."""
        return self.log_class in FILTERABLE_CLASSES

    @property
    def readable(self) -> bool:
        """FilterLogEvents or Logs Insights works on it."""
        return self.filterable or self.log_class == INFREQUENT_ACCESS

    @property
    def identifier(self) -> str:
        """How a query names it: its ARN when known (any account), else its name."""
        return self.arn or self.name


class LogGroups:
    """The account's log groups in the client's region, listed page by page.

    `server_time_ms` is CloudWatch's clock, from the `Date` header of the first answer: a sync takes "now"
    from it, so that a machine whose clock is off cannot move the read end into the future.
    """

    def __init__(
        self, *, logs: LogsClient, summaries: bool = False, tell: Callable[[str], None] = lambda text: None
    ) -> None:
        """`summaries`: `list` may answer groups without creation time, retention and stored bytes (ListLogGroups);
        `tell`: hears, once, that the endpoint refused ListLogGroups."""
        self._logs = logs
        self._summaries = summaries
        self._tell = tell
        self.server_time_ms: int | None = None
        self._own_account: str | None = None
        self._own_account_known = False

    def list(
        self,
        prefix: str | None = None,
        *,
        field: str | None = None,
        pages: int | None = None,
        linked: tuple[str, ...] | None = None,
    ) -> Iterator[LogGroup]:
        """Every group whose name starts with `prefix` (the setting `field`, named in a rejection), by name (with
        `summaries`: in the order ListLogGroups answers, which it does not document; `by_name` sorts a listing);
        only the first `pages` pages when given. With `linked`, the groups that linked source accounts share with
        this monitoring account too: all of them (an empty tuple), or those of these accounts."""
        params: dict[str, Any] = {"limit": DESCRIBE_PAGE_SIZE}
        if prefix:
            params["logGroupNamePrefix"] = prefix
        if linked is not None:
            params["includeLinkedAccounts"] = True
            if linked:
                params["accountIdentifiers"] = list(linked)
        accounts = {*linked, self.own_account()} if linked else None
        listed = self._summaries_of(prefix, params, field, pages) if self._summaries else None
        for group in self._pages(params, field, pages) if listed is None else listed:
            if prefix and not group.name.startswith(prefix):
                continue  # an endpoint that ignores the prefix
            if accounts is not None and group.account_id is not None and group.account_id not in accounts:
                continue  # an endpoint that ignores accountIdentifiers
            yield group

    def _summaries_of(
        self, prefix: str | None, described: dict[str, Any], field: str | None, pages: int | None
    ) -> Iterator[LogGroup] | None:
        """The listing by ListLogGroups (name, ARN and class), page by page in the order the API answers; None if
        the endpoint refused it (and from then on)."""
        params = {key: value for key, value in described.items() if key not in ("limit", "logGroupNamePrefix")}
        params["limit"] = LIST_PAGE_SIZE
        if prefix and len(prefix) >= PATTERN_MIN_CHARS:
            params["logGroupNamePattern"] = "^" + prefix[:PATTERN_MAX_CHARS]
        try:
            first = self._logs.client.list_log_groups(**params)
        except ClientError as error:
            if is_assume_role_error(error) or error_code(error) in CREDENTIAL_ERROR_CODES:
                # the credentials, not the operation: DescribeLogGroups would be refused the same way
                raise aws_failure(error, self._logs.failure(Action.LIST_LOG_GROUPS, field=field)) from None
            self._summaries = False
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            self._tell(
                f"ListLogGroups is refused at {self._logs.endpoint} ({error_code(error)}"
                f"{f', HTTP {status}' if status else ''}): log groups are listed with DescribeLogGroups, "
                f"{DESCRIBE_PAGE_SIZE} a call instead of {LIST_PAGE_SIZE}."
            )
            return None
        except BotoCoreError as error:
            raise aws_failure(error, self._logs.failure(Action.LIST_LOG_GROUPS, field=field)) from None
        return self._listed(first, params, pages, field)

    def _listed(
        self, page: Mapping[str, Any], params: dict[str, Any], pages: int | None, field: str | None
    ) -> Iterator[LogGroup]:
        for count in itertools.count(1):
            if self.server_time_ms is None:
                self.server_time_ms = _server_time_ms(page)
            yield from (LogGroup.from_api(group) for group in page.get("logGroups", []))
            token = page.get("nextToken")
            if not token or (pages is not None and count >= pages):
                return
            params["nextToken"] = token
            try:
                page = self._logs.client.list_log_groups(**params)
            except (ClientError, BotoCoreError) as error:
                raise aws_failure(error, self._logs.failure(Action.LIST_LOG_GROUPS, field=field)) from None

    def own_account(self) -> str | None:
        """The account the credentials belong to, from the ARN of one of its own groups (None if it has none);
        asked once."""
        if not self._own_account_known:
            self._own_account = next((group.account_id for group in self._pages({"limit": 1}, None, pages=1)), None)
            self._own_account_known = True
        return self._own_account

    def named(self, identifiers: Iterable[str], *, field: str | None = None) -> Iterator[LogGroup]:
        """The groups with exactly these names (in the credentials' account) or ARNs (any account's, a linked
        source account's too) that exist, asked for IDENTIFIERS_PER_CALL at a time: names in calls of their own,
        ARNs (without a trailing `:*`) in calls with `includeLinkedAccounts`. Whatever else an answer holds is
        dropped."""
        wanted = {identifier.removesuffix(":*") if is_arn(identifier) else identifier for identifier in identifiers}
        names = sorted(identifier for identifier in wanted if not is_arn(identifier))
        arns = sorted(identifier for identifier in wanted if is_arn(identifier))
        for asked, by_arn in ((names, False), (arns, True)):
            for start in range(0, len(asked), IDENTIFIERS_PER_CALL):
                batch = asked[start : start + IDENTIFIERS_PER_CALL]
                # DescribeLogGroups (API Reference), includeLinkedAccounts: "If you are using a monitoring account,
                # set this to true to have the operation return log groups in the accounts listed in
                # accountIdentifiers." It does not say whether logGroupIdentifiers ARNs of source accounts are
                # answered without it: the flag goes with every ARN.
                params: dict[str, Any] = {"logGroupIdentifiers": batch}
                if by_arn:
                    params["includeLinkedAccounts"] = True
                batch_set = set(batch)
                seen: set[str] = set()
                for group in self._pages(params, field):
                    key = group.arn if by_arn else group.name
                    if key in batch_set and key not in seen:  # only what was asked, once
                        seen.add(key)
                        yield group

    def _pages(self, params: dict[str, Any], field: str | None, pages: int | None = None) -> Iterator[LogGroup]:
        try:
            yield from self._paged(params, pages)
        except (ClientError, BotoCoreError) as error:
            raise aws_failure(error, self._logs.failure(Action.DESCRIBE_LOG_GROUPS, field=field)) from None

    def _paged(self, params: dict[str, Any], pages: int | None) -> Iterator[LogGroup]:
        for _ in itertools.count() if pages is None else range(pages):
            page = self._logs.client.describe_log_groups(**params)
            if self.server_time_ms is None:
                self.server_time_ms = _server_time_ms(page)
            for group in page.get("logGroups", []):
                yield LogGroup.from_api(group)
            token = page.get("nextToken")
            if not token:
                return
            params["nextToken"] = token


def by_name(groups: Iterable[LogGroup]) -> list[LogGroup]:
    """A listing sorted by name, then ARN (a name may be another account's too)."""
    return sorted(groups, key=lambda group: (group.name, group.arn or ""))


def _server_time_ms(page: Mapping[str, Any]) -> int | None:
    date = page.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("date")
    try:
        return int(parsedate_to_datetime(date).timestamp()) * 1000 if date else None
    except (TypeError, ValueError):
        return None


def group_arn(region: str, account: str, name: str) -> str:
    """The ARN of a log group, as logGroupIdentifier takes it (without ':*')."""
    partition = "aws-cn" if region.startswith("cn-") else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return f"arn:{partition}:logs:{region}:{account}:log-group:{name}"


def is_arn(identifier: str) -> bool:
    """A log group named by its ARN (`arn:<partition>:logs:<region>:<account>:log-group:<name>`)."""
    return identifier.startswith("arn:")


def linked_stream_name(account: str, name: str) -> str:
    return f"{account}{LINKED_SEPARATOR}{name}"


def parse_linked_stream_name(stream: str) -> tuple[str, str] | None:
    """(account, group name) of a linked group's stream name, None for an own group's."""
    account, separator, name = stream.partition(LINKED_SEPARATOR)
    return (account, name) if separator and len(account) == 12 and account.isdigit() and name else None
