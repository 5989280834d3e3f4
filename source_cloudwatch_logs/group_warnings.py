"""Warnings that each log group of a merged stream would repeat, said once per stream and kind when the stream ends,
naming the groups: the first `SHOWN_GROUPS` in name order and how many more ("in 148 log groups: '/a', '/b', '/c'
and 145 more"), with the largest value any of them reported.

Proved by unit_tests/test_group_warnings.py (the wording for one, a few and many groups) and
integration_tests/test_merged_scale.py (one line for 200 late groups, exactly).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from airbyte_cdk.models import Level
from airbyte_cdk.sources.message import MessageRepository

from source_cloudwatch_logs.progress import log

SHOWN_GROUPS = 3  # groups named in a summary before "and N more"

# A kind's text: (the groups, as `named_groups` words them; the largest value reported) -> the warning.
Render = Callable[[str, int], str]


def named_groups(groups: Sequence[str]) -> str:
    """`log group 'a'`, `2 log groups: 'a' and 'b'`, `148 log groups: 'a', 'b', 'c' and 145 more`."""
    if len(groups) == 1:
        return f"log group '{groups[0]}'"
    return f"{len(groups)} log groups: {listed_groups(groups)}"


def listed_groups(groups: Sequence[str]) -> str:
    """`'a'`, `'a' and 'b'`, `'a', 'b', 'c' and 145 more`: the first few in name order, then how many more."""
    quoted = [f"'{group}'" for group in sorted(groups)]
    if len(quoted) <= SHOWN_GROUPS:
        return " and ".join(filter(None, [", ".join(quoted[:-1]), quoted[-1]]))
    return f"{', '.join(quoted[:SHOWN_GROUPS])} and {len(quoted) - SHOWN_GROUPS} more"


class GroupWarnings:
    """Collects the warnings of a merged stream's groups by kind (the largest value per group); `say` logs one
    WARN line per kind, once."""

    def __init__(self, *, repository: MessageRepository) -> None:
        self._repository = repository
        self._kinds: dict[str, tuple[Render, dict[str, int]]] = {}
        self._lock = threading.Lock()

    def add(self, kind: str, group: str, value: int, render: Render) -> None:
        with self._lock:
            _, values = self._kinds.setdefault(kind, (render, {}))
            values[group] = max(value, values.get(group, value))

    def say(self) -> None:
        with self._lock:
            kinds, self._kinds = self._kinds, {}
        for render, values in kinds.values():
            log(self._repository, Level.WARN, render(named_groups(list(values)), max(values.values())))
