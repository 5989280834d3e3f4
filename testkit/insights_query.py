"""A small Logs Insights query engine for the fake: enough of the language for the connector's queries and the
tests' reports, refusing the rest the way AWS refuses a query it cannot compile (MalformedQueryException).

Understood: `fields` (field names, `toMillis(f)`, `strlen(f)`, sums and differences of those, each optionally
`as name`; several `fields` commands add up), `display` (the last one wins), `filter` (comparisons `= != < <= > >=`
of such an expression with a number or a quoted string, `like /regex/`, joined with `and` / `or`, `and` binding
tighter), `sort <field> [asc|desc]`, `limit N` and `stats` of `count(*)`, `min(x)`, `max(x)` (each optionally
`as name`) `by f1, f2`. Every other command is a syntax error here (AWS knows more). JSON messages are searchable by their top-level keys (nested keys joined with
`.`), as Insights discovers them.

The syntax rules it follows, from the Logs Insights pages of the CloudWatch Logs User Guide:
- System fields ("Supported logs and discovered fields"): "`@ingestionTime` contains the time when CloudWatch Logs
  received the log event", "`@logStream` contains the name of the log stream that the log event was added to",
  and "`@log` is a log group identifier in the form of `account-id:log-group-name`. When querying multiple log
  groups, this can be useful to identify which log group a particular event belongs to." (fake_insights.py sets
  `@log` that way for every group a query names.)
- `toMillis` ("Datetime functions"): it returns the timestamp as epoch milliseconds, a number that compares with
  a number and takes part in arithmetic ("Arithmetic operators accept numeric data types as arguments and return
  numeric results. Use arithmetic operators in the filter and fields commands and as arguments for other
  functions.").
- `stats` ("stats"): "Use stats to create visualizations of your log data ... grouped by one or more fields";
  `count(*)`, `min` and `max` are its aggregation functions ("Aggregation functions in the stats command"). A
  result row holds each `by` field and each aggregation, named by its `as` alias. The pages do not say how a
  column without an alias is named (the expression as written here) nor how `min(@timestamp)` is written (as
  `@timestamp` is, here): the connector names every column and reads both ways of writing a time.
- `#` comments. "Use aliases and comments in queries": "Use the hash character (#) to set off comments. You can
  use comments to ignore lines in queries or document queries." A comment runs to the end of its line; a `#`
  inside a quoted string or a /regular expression/ is part of it.
- Line breaks are whitespace: the pages write queries one command a line (`display`'s example puts
  `fields @message`, `| parse ...`, `| filter ...` and `| display loggingMessage` on four lines).
- `display` ("display"): "The `display` command shows only the fields you specify. If your query contains
  multiple `display` commands, the query results show only the field or fields that you specified in the final
  `display` command."
- The default order ("dedup"): "If the results are not sorted before being run through dedup, then the default
  descending sort order using @timestamp is used." `sort` ("sort"): "Use `sort` to display log events in
  ascending (`asc`) or descending (`desc`) order by a specified field." The pages do not say which direction
  `sort f` without one takes: descending here (the connector always names one).
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from testkit.aws_http import AwsError

Event = dict[str, Any]  # an event as FilterLogEvents renders it, plus `logGroup` (the @log value)
Value = str | int | float | None
_COMPARISONS = ("<=", ">=", "!=", "=", "<", ">")


def malformed(message: str) -> AwsError:
    return AwsError(400, "MalformedQueryException", message)


def insights_time(ms: int) -> str:
    """How Insights writes a timestamp: `2026-11-30 19:40:26.123` (UTC)."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def field_value(event: Event, name: str) -> Value:
    if name == "@timestamp":
        return int(event["timestamp"])
    if name == "@ingestionTime":
        return int(event["ingestionTime"])
    if name == "@message":
        return str(event["message"])
    if name == "@logStream":
        return str(event["logStreamName"])
    if name == "@log":
        return str(event["logGroup"])
    parsed = event.get("_json")
    if parsed is None:
        try:
            decoded = json.loads(event["message"])
        except ValueError:
            decoded = None
        parsed = _flatten(decoded) if isinstance(decoded, dict) else {}
        event["_json"] = parsed
    return parsed.get(name)


def _flatten(document: dict[str, Any], prefix: str = "") -> dict[str, Value]:
    flat: dict[str, Value] = {}
    for key, value in document.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        elif isinstance(value, bool | int | float | str) or value is None:
            flat[f"{prefix}{key}"] = value if not isinstance(value, bool) else str(value).lower()
        else:
            flat[f"{prefix}{key}"] = json.dumps(value)
    return flat


def rendered(value: Value, name: str) -> str:
    """Results come back as strings; times in Insights' format."""
    if name in ("@timestamp", "@ingestionTime") and isinstance(value, int):
        return insights_time(value)
    return "" if value is None else str(value)


_FIELD = r"@?[A-Za-z_][\w.\-]*"
_OPERAND = re.compile(rf"(?:(toMillis|strlen)\(\s*({_FIELD})\s*\)|({_FIELD}))")


@dataclass
class _Operand:
    field: str
    function: str | None = None
    # `a + b`, `a - b`: "Arithmetic operators accept numeric data types as arguments and return numeric results.
    # Use arithmetic operators in the filter and fields commands and as arguments for other functions." (Logs
    # Insights query syntax, "Boolean, comparison, numeric, datetime, and other functions"). Left to right.
    then: list[tuple[str, _Operand]] = dataclasses.field(default_factory=list)

    def value(self, event: Event) -> Value:
        value = field_value(event, self.field)
        if self.function == "strlen":
            value = None if value is None else len(str(value))
        # toMillis of a time field is its epoch milliseconds, which is how values are held
        for sign, operand in self.then:
            right = operand.value(event)
            if not isinstance(value, int | float) or not isinstance(right, int | float):
                return None  # a non-numeric argument: no value (the event matches no comparison)
            value = value + right if sign == "+" else value - right
        return value


def _operand(text: str) -> tuple[_Operand, str]:
    first, rest = _term(text)
    while rest[:1] in ("+", "-"):
        sign = rest[0]
        term, rest = _term(rest[1:].lstrip())
        first.then.append((sign, term))
    return first, rest


def _term(text: str) -> tuple[_Operand, str]:
    match = _OPERAND.match(text)
    if match is None:
        raise malformed(f"unexpected symbol found {text.split()[0] if text.split() else text!r}")
    function, inner, plain = match.groups()
    return _Operand(field=inner or plain, function=function), text[match.end() :].lstrip()


def _literal(text: str) -> tuple[Value, str]:
    match = re.match(r'"((?:[^"\\]|\\.)*)"|\'((?:[^\'\\]|\\.)*)\'|(-?\d+(?:\.\d+)?)', text)
    if match is None:
        raise malformed(f"expected a number or a quoted string at {text[:20]!r}")
    double, single, number = match.groups()
    rest = text[match.end() :].lstrip()
    if number is not None:
        return (float(number) if "." in number else int(number)), rest
    raw = double if double is not None else single
    return re.sub(r"\\(.)", r"\1", raw or ""), rest


def _compare(left: Value, operator: str, right: Value) -> bool:
    if left is None:
        return False
    if isinstance(right, int | float):
        try:
            left = float(left)
        except (TypeError, ValueError):
            return False
    else:
        left = str(left)
    ops: dict[str, Callable[[Any, Any], bool]] = {
        "=": lambda a, b: a == b,
        "!=": lambda a, b: a != b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }
    return ops[operator](left, right)


Condition = Callable[[Event], bool]


def _like(operand: _Operand, pattern: re.Pattern[str]) -> Condition:
    def test(event: Event) -> bool:
        value = operand.value(event)
        return value is not None and pattern.search(str(value)) is not None

    return test


def _comparison(operand: _Operand, operator: str, literal: Value) -> Condition:
    return lambda event: _compare(operand.value(event), operator, literal)


def _condition(text: str) -> Condition:
    alternatives: list[list[Condition]] = [[]]
    rest = text.strip()
    while True:
        operand, rest = _operand(rest)
        if rest.lower().startswith("like"):
            match = re.match(r"like\s*/((?:[^/\\]|\\.)*)/", rest, flags=re.IGNORECASE)
            if match is None:
                raise malformed("like needs a /regular expression/")
            pattern = re.compile(match.group(1))
            rest = rest[match.end() :].lstrip()
            alternatives[-1].append(_like(operand, pattern))
        else:
            operator = next((op for op in _COMPARISONS if rest.startswith(op)), None)
            if operator is None:
                raise malformed(f"expected a comparison at {rest[:20]!r}")
            literal, rest = _literal(rest[len(operator) :].lstrip())
            alternatives[-1].append(_comparison(operand, operator, literal))
        if not rest:
            break
        joiner = re.match(r"(and|or)\s+", rest, flags=re.IGNORECASE)
        if joiner is None:
            raise malformed(f"unexpected symbol found {rest.split()[0]!r}")
        if joiner.group(1).lower() == "or":
            alternatives.append([])
        rest = rest[joiner.end() :]
    return lambda event: any(all(test(event) for test in group) for group in alternatives)


_QUOTES = "\"'`/"


def without_comments(query: str) -> str:
    """The query with each comment (`#` outside quotes and /regexes/, to the end of its line) removed."""
    kept: list[str] = []
    quote, escaped, comment = "", False, False
    for char in query:
        if comment:
            if char != "\n":
                continue
            comment = False
        elif quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in _QUOTES:
            quote = char
        elif char == "#":
            comment = True
            continue
        kept.append(char)
    return "".join(kept)


def split_commands(query: str) -> list[str]:
    """The query's commands: comments removed, split on `|` outside quotes and /regexes/."""
    commands: list[str] = []
    current: list[str] = []
    quote, escaped = "", False
    for char in without_comments(query):
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = ""
        elif char in _QUOTES:
            quote = char
        elif char == "|":
            commands.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    commands.append("".join(current).strip())
    return [command for command in commands if command]


@dataclass
class Query:
    fields: list[tuple[str, _Operand]] = field(default_factory=list)  # (output name, what)
    filters: list[Condition] = field(default_factory=list)
    sort: tuple[str, bool] = ("@timestamp", True)  # field, descending; without a `sort`: newest first
    limit: int | None = None
    display: list[str] | None = None  # the last `display` command's fields
    stats_by: list[str] | None = None
    # (output name, function, operand or None for count(*)), in the order written
    stats: list[tuple[str, str, _Operand | None]] = field(default_factory=list)

    def matches(self, event: Event) -> bool:
        return all(condition(event) for condition in self.filters)

    def _stats_rows(self, events: list[Event]) -> list[dict[str, str]]:
        """One row per distinct `by` key: its fields, then each aggregation (count, min, max) under its name; a
        time field's min and max are written as Insights writes that field."""
        by = self.stats_by or []
        groups: dict[tuple[Value, ...], list[Event]] = {}
        for event in events:
            groups.setdefault(tuple(field_value(event, name) for name in by), []).append(event)
        rows = []
        for key, members in groups.items():
            row = {name: rendered(value, name) for name, value in zip(by, key, strict=True)}
            for out, function, operand in self.stats:
                if operand is None:
                    row[out] = str(len(members))
                    continue
                values = [v for v in (operand.value(e) for e in members) if isinstance(v, int | float)]
                chosen = (min if function == "min" else max)(values) if values else None
                row[out] = rendered(chosen, operand.field if not operand.function and not operand.then else "")
            rows.append(row)
        return rows

    def rows(self, events: list[Event], row_limit: int) -> list[dict[str, str]]:
        """The result rows (without @ptr) of the events that matched, sorted and limited."""
        if self.stats_by is not None:
            return self._stats_rows(events)[:row_limit]
        name, descending = self.sort
        ordered = sorted(
            events,
            key=lambda e: (field_value(e, name) is None, field_value(e, name) or 0),
            reverse=descending,
        )
        limit = min(row_limit, self.limit) if self.limit is not None else row_limit
        shown = self.fields or [("@timestamp", _Operand("@timestamp")), ("@message", _Operand("@message"))]
        if self.display is not None:  # only the final display's fields, each as `fields` made it (else the event's)
            made = dict(shown)
            shown = [(name, made.get(name, _Operand(name))) for name in self.display]
        return [{out: rendered(operand.value(e), operand.field) for out, operand in shown} for e in ordered[:limit]]


def _aggregation(text: str) -> tuple[str, str, _Operand | None]:
    """`count(*)`, `min(x)` or `max(x)`, optionally `as name`; named as written without one."""
    expression, _, alias = text.partition(" as ")
    expression = expression.strip()
    match = re.fullmatch(r"(count|min|max)\(\s*(.+?)\s*\)", expression, flags=re.IGNORECASE)
    if match is None:
        raise malformed(f"stats: only count(*), min(x) and max(x) are understood here, not {expression!r}")
    function, argument = match.group(1).lower(), match.group(2)
    name = alias.strip() or expression
    if function == "count":
        if argument != "*":
            raise malformed(f"stats: only count(*) is understood here, not {expression!r}")
        return name, function, None
    operand, trailing = _operand(argument)
    if trailing:
        raise malformed(f"unexpected symbol found {trailing.split()[0]!r}")
    return name, function, operand


def compile_query(text: str) -> Query:
    """The query, or MalformedQueryException like AWS's for what this engine does not understand."""
    if not without_comments(text).strip():
        raise malformed("The query string is empty.")
    query = Query()
    for command in split_commands(text):
        word, *more = command.split(None, 1)  # a line break is whitespace like any other
        word, rest = word.lower(), (more[0].strip() if more else "")
        if word == "fields":
            for item in (part.strip() for part in rest.split(",")):
                expression, _, alias = item.partition(" as ")
                operand, trailing = _operand(expression.strip())
                if trailing:
                    raise malformed(f"unexpected symbol found {trailing.split()[0]!r}")
                query.fields.append((alias.strip() or item, operand))
        elif word == "display":
            names = [name.strip() for name in rest.split(",")]
            if not all(re.fullmatch(_FIELD, name) for name in names):
                raise malformed(f"display: unexpected {rest!r}")
            query.display = names
        elif word == "filter":
            query.filters.append(_condition(rest))
        elif word == "sort":
            match = re.fullmatch(rf"({_FIELD})(?:\s+(asc|desc))?", rest, flags=re.IGNORECASE)
            if match is None:
                raise malformed(f"sort: unexpected {rest!r}")
            query.sort = (match.group(1), (match.group(2) or "desc").lower() == "desc")
        elif word == "limit":
            if not rest.isdigit() or not 1 <= int(rest) <= 10_000:
                raise malformed("limit takes a number from 1 to 10000")
            query.limit = int(rest)
        elif word == "stats":
            match = re.fullmatch(rf"(.+?)\s+by\s+({_FIELD}(?:\s*,\s*{_FIELD})*)", rest, flags=re.IGNORECASE)
            if match is None:
                raise malformed(
                    f"stats: only count(*), min(x), max(x) [as name] by fields are understood, not {rest!r}"
                )
            query.stats = [_aggregation(item.strip()) for item in match.group(1).split(",")]
            query.stats_by = [name.strip() for name in match.group(2).split(",")]
        else:
            raise malformed(f"unexpected symbol found {word} at line 1 and position 1")
    return query
