"""ListLogGroups (2025), which moto 5.2.5 lacks, answered from moto's log groups the way the API Reference and
the botocore model describe it:

- "Returns a list of log groups in the Region in your account"; each as `logGroupName`, `logGroupArn` and
  `logGroupClass` (the model's LogGroupSummary: no creation time, retention or stored bytes);
- `limit`: "The maximum number of log groups to return. If you omit this parameter, the default is up to 50 log
  groups." (1 to 1,000: more is an InvalidParameterException); paged with a `nextToken` (here an offset);
- `logGroupNamePattern`: "a regular expression that can match prefixes and substrings [...] Use ^ to match log
  group names by prefix [...] All matches are case sensitive [...] as many as five different regular expression
  patterns [...] each of which must be between 3 and 24 characters" separated by `|` (the model's pattern:
  anything else is an InvalidParameterException);
- `logGroupClass`: "limit the results to only those log groups in the specified log group class";
- `includeLinkedAccounts` / `accountIdentifiers`: a monitoring account's linked source accounts' groups too
  (`FaultPlan.linked_accounts`), all or those listed.

The order of the answer is not documented: here groups come in creation order, account by account, not by name,
so a client that relies on an order fails its tests. Proved by testkit/tests/test_list_log_groups.py.
"""

from __future__ import annotations

import re
from typing import Any

from moto.logs.models import logs_backends

from testkit.aws_http import invalid_parameter
from testkit.faults import FaultPlan

MAX_LIMIT = 1_000
DEFAULT_LIMIT = 50
# The botocore model's pattern for logGroupNamePattern.
PATTERN = re.compile(r"(\^?[\.\-_\/#A-Za-z0-9]{3,24})(\|\^?[\.\-_\/#A-Za-z0-9]{3,24}){0,4}")


def list_log_groups(params: dict[str, Any], caller: str, region: str, plan: FaultPlan) -> dict[str, Any]:
    limit = int(params.get("limit") or DEFAULT_LIMIT)
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid_parameter(
            f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy constraint: Member must "
            f"have value {'less' if limit > MAX_LIMIT else 'greater'} than or equal to "
            f"{MAX_LIMIT if limit > MAX_LIMIT else 1}"
        )
    pattern = params.get("logGroupNamePattern")
    if pattern is not None and not PATTERN.fullmatch(str(pattern)):
        raise invalid_parameter(
            f"1 validation error detected: Value '{pattern}' at 'logGroupNamePattern' failed to satisfy constraint: "
            f"Member must satisfy regular expression pattern: {PATTERN.pattern}"
        )
    matcher = re.compile(str(pattern)) if pattern is not None else None
    accounts = [caller]
    if params.get("includeLinkedAccounts"):
        wanted = params.get("accountIdentifiers")
        accounts += [a for a in plan.linked_accounts.get(caller, []) if not wanted or a in wanted]
    wanted_class = params.get("logGroupClass")
    found = [
        group
        for account in accounts
        for name, group in logs_backends[account][region].groups.items()
        if (matcher is None or matcher.search(name)) and (wanted_class is None or _class(name, plan) == wanted_class)
    ]
    start = int(params.get("nextToken") or 0)
    page = [
        {
            "logGroupName": group.name,
            "logGroupArn": str(group.arn).removesuffix(":*"),
            "logGroupClass": _class(group.name, plan),
        }
        for group in found[start : start + limit]
    ]
    answer: dict[str, Any] = {"logGroups": page}
    if start + limit < len(found):
        answer["nextToken"] = str(start + limit)
    return answer


def _class(name: str, plan: FaultPlan) -> str:
    return "INFREQUENT_ACCESS" if name in plan.infrequent_access_groups else "STANDARD"
