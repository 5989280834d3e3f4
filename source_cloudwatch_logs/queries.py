"""Logs Insights query text: what a custom report's `query` selects, and the queries the connector sends.

Every query the connector sends reads one time window in ascending `@timestamp` order: the window is a filter on
`toMillis(@timestamp)` (StartQuery's own range is whole seconds), and the report's own commands go in between.
A report query may not aggregate (`stats`) or cut (`limit`): its stream is incremental on `@timestamp`, which
needs every matching event, each once.
"""

from __future__ import annotations

import re

TIME_FIELD = "@timestamp"
# Insights' names of an event's own fields -> the record columns every stream shares (records.py).
EVENT_COLUMNS = {
    "@timestamp": "timestamp",
    "@message": "message",
    "@logStream": "logStreamName",
    "@ingestionTime": "ingestionTime",
}
KEY_FIELDS = ("@timestamp", "@logStream", "@ingestionTime")  # always asked for: they make the primary key
NUMERIC_FUNCTIONS = {"abs", "ceil", "floor", "strlen", "tomillis", "greatest", "least"}
REFUSED_COMMANDS = {
    "stats": "aggregates events, so it cannot be read incrementally; replicate the events and aggregate in the "
    "destination, or run the aggregation as a scheduled query",
    "limit": "keeps only some events, so an incremental sync would miss the rest; remove it",
}
_NUMERIC_COMPARISON = re.compile(r"(@?[A-Za-z_][\w.\-]*)\s*(?:<=|>=|!=|=|<|>)\s*-?\d")


def commands(query: str) -> list[str]:
    """The query's commands, split on `|` outside quotes and /regular expressions/."""
    return _split(query, "|", quotes="\"'/")


def _split(text: str, separator: str, quotes: str) -> list[str]:
    """`text` split on `separator` outside quotes (any of `quotes`, each closing itself) and parentheses."""
    parts, current, depth, quote = [], "", 0, ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in quotes:
            quote = char
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == separator and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    parts.append(current.strip())
    return [part for part in parts if part]


def _word(command: str) -> str:
    return command.split(None, 1)[0].lower()


def query_problem(query: str) -> str | None:
    """Why a report's query cannot be a stream (None: it can)."""
    if not commands(query):
        return "is empty; write a Logs Insights query such as `fields @timestamp, @message | filter level = 'ERROR'`"
    for command in commands(query):
        reason = REFUSED_COMMANDS.get(_word(command))
        if reason is not None:
            return f"uses `{_word(command)}`, which {reason}"
    return None


def report_columns(query: str) -> dict[str, str]:
    """The columns a report query adds, in order, with their JSON type ("number" or "string"): each `fields`
    item (its alias if it has one), typed as a number where a numeric function makes it or a filter compares it
    with a number; the event's own fields map to the shared columns (EVENT_COLUMNS) and are not repeated."""
    numeric = {
        match.group(1)
        for command in commands(query)
        if _word(command) == "filter"
        for match in _NUMERIC_COMPARISON.finditer(command)
    }
    columns: dict[str, str] = {}
    for command in commands(query):
        if _word(command) not in ("fields", "display"):
            continue
        for item in _split(command.split(None, 1)[1] if " " in command else "", ",", quotes="\"'"):
            expression, _, alias = item.partition(" as ")
            expression, alias = expression.strip(), alias.strip()
            name = alias or expression
            if name in EVENT_COLUMNS or name == "@ptr":
                continue
            function = expression.split("(", 1)[0].strip().lower() if "(" in expression else None
            is_number = function in NUMERIC_FUNCTIONS if function else expression in numeric
            columns[name] = "number" if is_number else "string"
    return columns


def window_query(report_query: str | None, start_ms: int, end_ms: int, narrow: str | None = None) -> str:
    """The query for `[start_ms, end_ms)`, ascending by time: a log group's events (no report query) or a report's
    rows. `narrow` is one more filter condition (reading a crowded millisecond log stream by log stream)."""
    window = f"toMillis(@timestamp) >= {start_ms} and toMillis(@timestamp) < {end_ms}"
    if narrow:
        window = f"{window} and {narrow}"
    asked = [*KEY_FIELDS, "@message"] if report_query is None else list(KEY_FIELDS)
    middle = f" | {report_query.strip()}" if report_query else ""
    return f"fields {', '.join(asked)} | filter {window}{middle} | sort {TIME_FIELD} asc"


def streams_query(at_ms: int, report_query: str | None) -> str:
    """How many events (of the report) each log stream holds in one millisecond."""
    middle = f" | {report_query.strip()}" if report_query else ""
    return f"filter toMillis(@timestamp) = {at_ms}{middle} | stats count(*) as events by @logStream"


def quoted(value: str) -> str:
    """A string literal for a query."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
