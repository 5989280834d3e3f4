"""Logs Insights query text: what a custom report's `query` selects, and the queries the connector sends.

Every query the connector sends reads one time window in ascending `@timestamp` order: the window is a filter on
`toMillis(@timestamp)` (StartQuery's own range is whole seconds), and the report's own commands go in between.
The report's text is sent as written, on lines of its own: `#` starts a comment that runs to the end of its line,
so nothing the connector relies on (the window, the `sort`, the per-log-stream `stats`) follows user text on the
same line. A report query may not aggregate (`stats`), cut (`limit`) or pick the result's fields (`display`: only
the last one counts, and its fields replace all others): its stream is incremental on `@timestamp`, which needs
every matching event, each once, with its `@timestamp`, `@logStream` and `@ingestionTime`.

Wherever the text is analysed (the commands, the refusals, the columns), comments are removed first.

A report's columns are its `fields` items (each alias, else its expression). One named like a column the caller
reserves (`ReservedColumns`: the connector's own, records.CONNECTOR_COLUMNS) is renamed `query_<name>` (the prefix
repeated until the name is free): the reserved columns keep their names, types and meaning. The event's own fields
(`@timestamp`, `@message`, `@logStream`, `@ingestionTime`) are the shared columns. Tests:
unit_tests/aws/test_queries.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

TIME_FIELD = "@timestamp"
# Insights' names of an event's own fields -> the record columns every stream shares (records.py).
EVENT_COLUMNS = {
    "@timestamp": "timestamp",
    "@message": "message",
    "@logStream": "logStreamName",
    "@ingestionTime": "ingestionTime",
}
KEY_FIELDS = ("@timestamp", "@logStream", "@ingestionTime")  # always asked for: they make the primary key
COUNT_FIELD = "events"  # the per-log-stream count of `streams_query`
NUMERIC_FUNCTIONS = {"abs", "ceil", "floor", "strlen", "tomillis", "greatest", "least"}
REFUSED_COMMANDS = {
    "stats": "aggregates events, so it cannot be read incrementally; replicate the events and aggregate in the "
    "destination, or run the aggregation as a scheduled query",
    "limit": "keeps only some events, so an incremental sync would miss the rest; remove it",
    "dedup": "keeps one event of each set of equal fields, so an incremental sync (which reads each time window "
    "apart) would keep some of them twice and Logs Insights allows only `limit` after it; deduplicate in the "
    "destination instead",
    "display": "keeps only the fields it lists (and only the last `display` counts), so the @timestamp, "
    "@logStream and @ingestionTime every record needs would be missing; list the fields with `fields` instead",
}
RENAME_PREFIX = "query_"
_NUMERIC_COMPARISON = re.compile(r"(@?[A-Za-z_][\w.\-]*)\s*(?:<=|>=|!=|=|<|>)\s*-?\d")
_QUOTES = "\"'`/"  # strings, `field names` and /regular expressions/; a regex (or a division) ends with its line


def without_comments(query: str) -> str:
    """The query with its comments removed: from a `#` outside quotes and /regular expressions/ to the end of
    its line (the line break stays)."""
    return "".join(char for char, state in _scan(query) if state != "comment")


def _scan(text: str) -> list[tuple[str, str]]:
    """Each character of `text` with where it is: "code", "quoted" (in a string, `name` or /regex/, its quotes
    included) or "comment"."""
    marked: list[tuple[str, str]] = []
    quote, escaped, comment = "", False, False
    for char in text:
        if comment:
            comment = char != "\n"
            marked.append((char, "comment" if comment else "code"))
            continue
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote or (char == "\n" and quote == "/"):
                quote = ""
            marked.append((char, "quoted"))
            continue
        if char in _QUOTES:
            quote = char
            marked.append((char, "quoted"))
        elif char == "#":
            comment = True
            marked.append((char, "comment"))
        else:
            marked.append((char, "code"))
    return marked


def commands(query: str) -> list[str]:
    """The query's commands, comments removed, split on `|` outside quotes and /regular expressions/."""
    return _split(without_comments(query), "|", quotes=_QUOTES)


def _split(text: str, separator: str, quotes: str) -> list[str]:
    """`text` split on `separator` outside quotes (any of `quotes`, each closing itself) and parentheses."""
    parts, current, depth, quote, escaped = [], "", 0, "", False
    for char in text:
        if quote:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote or (char == "\n" and quote == "/"):
                quote = ""
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


def _arguments(command: str) -> str:
    parts = command.split(None, 1)
    return parts[1] if len(parts) > 1 else ""


def _items(command: str) -> list[tuple[str, str]]:
    """A `fields` command's items as (expression, alias or "")."""
    items = []
    for item in _split(_arguments(command), ",", quotes="\"'`"):
        expression, alias = item, ""
        match = re.search(r"\s+as\s+(\S+)\s*$", item, flags=re.IGNORECASE)
        if match is not None:
            expression, alias = item[: match.start()], match.group(1)
        items.append((expression.strip(), alias))
    return items


def query_problem(query: str) -> str | None:
    """Why a report's query cannot be a stream (None: it can)."""
    parts = commands(query)
    if not parts:
        return "is empty; write a Logs Insights query such as `fields @timestamp, @message | filter level = 'ERROR'`"
    for command in parts:
        reason = REFUSED_COMMANDS.get(_word(command))
        if reason is not None:
            return f"uses `{_word(command)}`, which {reason}"
    for command in parts:
        for _, alias in _items(command) if _word(command) == "fields" else ():
            if alias in KEY_FIELDS:
                return (
                    f"names a result `{alias}`, which is the event's own field that every record needs; "
                    "choose another name"
                )
    return None


@dataclass(frozen=True)
class ReservedColumns:
    """The record columns a report field may not take: these names, and every name that starts with one of
    `prefixes`."""

    names: frozenset[str] = frozenset()
    prefixes: tuple[str, ...] = ()

    def holds(self, name: str) -> bool:
        return name in self.names or name.startswith(self.prefixes)


NOTHING_RESERVED = ReservedColumns()


@dataclass(frozen=True)
class ReportShape:
    """The columns a report query adds, in order, with their JSON type, and the record column of each field of
    its result rows."""

    columns: Mapping[str, str]  # column -> "number" or "string"
    renamed: Mapping[str, str]  # result field -> its column, where they differ (a user field of a reserved name)
    reserved: ReservedColumns

    def column(self, field: str) -> str:
        """The record column of a result field: the shared column of an event field, the declared one of a
        report field, and for any other field its own name unless the connector's columns or the report's
        hold it already (then prefixed, like a declared one)."""
        shared = EVENT_COLUMNS.get(field)
        if shared is not None:
            return shared
        declared = self.renamed.get(field)
        if declared is not None:
            return declared
        if not self.reserved.holds(field):
            return field
        return _free_name(field, set(self.columns) | set(self.renamed), self.reserved)


def _free_name(name: str, taken: set[str], reserved: ReservedColumns) -> str:
    column = RENAME_PREFIX + name
    while reserved.holds(column) or column in taken:
        column = RENAME_PREFIX + column
    return column


@lru_cache(maxsize=256)
def report_shape(query: str, reserved: ReservedColumns) -> ReportShape:
    """Each `fields` item (its alias if it has one), typed as a number where a numeric function makes it or a
    filter compares it with a number, under its name or, if `reserved` holds that name, a name of its own
    (`query_<name>`); the event's own fields map to the shared columns (EVENT_COLUMNS) and are not repeated."""
    parts = commands(query)
    numeric = {
        match.group(1)
        for command in parts
        if _word(command) == "filter"
        for match in _NUMERIC_COMPARISON.finditer(command)
    }
    kinds: dict[str, str] = {}
    for command in parts:
        if _word(command) != "fields":
            continue
        for expression, alias in _items(command):
            name = alias or expression
            if name in EVENT_COLUMNS or name == "@ptr":
                continue
            function = expression.split("(", 1)[0].strip().lower() if "(" in expression else None
            is_number = function in NUMERIC_FUNCTIONS if function else expression in numeric
            kinds[name] = "number" if is_number else "string"
    taken = {name for name in kinds if not reserved.holds(name)}
    columns: dict[str, str] = {}
    renamed: dict[str, str] = {}
    for name, kind in kinds.items():
        column = name
        if reserved.holds(name):
            column = _free_name(name, taken, reserved)
            taken.add(column)
            renamed[name] = column
        columns[column] = kind
    return ReportShape(columns=columns, renamed=renamed, reserved=reserved)


def report_columns(query: str, reserved: ReservedColumns) -> dict[str, str]:
    """The columns a report query adds, in order, with their JSON type ("number" or "string") (report_shape)."""
    return dict(report_shape(query, reserved).columns)


def window_query(report_query: str | None, start_ms: int, end_ms: int, narrow: str | None = None) -> str:
    """The query for `[start_ms, end_ms)`, ascending by time: a log group's events (no report query) or a report's
    rows. `narrow` is one more filter condition (reading a crowded millisecond log stream by log stream). The
    report's text goes on lines of its own, so a comment in it ends with its last line."""
    window = f"toMillis(@timestamp) >= {start_ms} and toMillis(@timestamp) < {end_ms}"
    if narrow:
        window = f"{window} and {narrow}"
    asked = [*KEY_FIELDS, "@message"] if report_query is None else list(KEY_FIELDS)
    middle = f"\n| {report_query.strip()}\n" if report_query else " "
    return f"fields {', '.join(asked)} | filter {window}{middle}| sort {TIME_FIELD} asc"


def streams_query(at_ms: int, report_query: str | None) -> str:
    """How many events (of the report) each log stream holds in one millisecond: rows of `@logStream` and
    COUNT_FIELD."""
    middle = f"\n| {report_query.strip()}" if report_query else ""
    return f"filter toMillis(@timestamp) = {at_ms}{middle}\n| stats count(*) as {COUNT_FIELD} by @logStream"


def quoted(value: str) -> str:
    """A string literal for a query."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
