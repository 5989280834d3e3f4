"""A merged stream's per-group warnings said once per kind (group_warnings.py)."""

from __future__ import annotations

from airbyte_cdk.models import Type
from airbyte_cdk.sources.message import InMemoryMessageRepository

from source_cloudwatch_logs.group_warnings import GroupWarnings, named_groups


def test_groups_are_named_the_first_few_in_order_then_counted() -> None:
    assert named_groups(["/a"]) == "log group '/a'"
    assert named_groups(["/b", "/a"]) == "2 log groups: '/a' and '/b'"
    assert named_groups(["/c", "/a", "/b"]) == "3 log groups: '/a', '/b' and '/c'"
    many = [f"/g/{n:03d}" for n in range(148)]
    assert named_groups(many[::-1]) == "148 log groups: '/g/000', '/g/001', '/g/002' and 145 more"


def test_one_line_per_kind_with_the_largest_value_once() -> None:
    repository = InMemoryMessageRepository()
    warnings = GroupWarnings(repository=repository)
    for group, value in [("/b", 5), ("/a", 7), ("/b", 9), ("/a", 3)]:
        warnings.add("late", group, value, lambda groups, top: f"late in {groups}: up to {top}")
    warnings.add("other", "/c", 1, lambda groups, top: f"other in {groups}")
    warnings.say()
    warnings.say()  # said once
    lines = [(m.log.level.value, m.log.message) for m in repository.consume_queue() if m.type == Type.LOG]
    assert lines == [("WARN", "late in 2 log groups: '/a' and '/b': up to 9"), ("WARN", "other in log group '/c'")]
