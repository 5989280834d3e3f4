"""What the docs say agrees with the code: every number, limit, quota and state key name that README.md or a page
of docs/ quotes comes from the constant it describes, wherever the page quotes it; README.md stays short and opens
with the two commands; every relative link resolves; and unit_tests/ mirrors the package.

Facts are found by pattern across README.md and docs/**/*.md (whitespace collapsed, so line breaks do not matter):
a fact that no page quotes any more fails, and so does any page quoting it with another value, naming the page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from benchmarks.run import JSON_COST_LIMIT
from source_cloudwatch_logs.aws.client import (
    CHECK_MAX_ATTEMPTS,
    CHECK_READ_TIMEOUT_S,
    CONNECT_TIMEOUT_S,
    DISCOVER_MAX_ATTEMPTS,
    DISCOVER_READ_TIMEOUT_S,
    READ_MAX_ATTEMPTS,
    READ_TIMEOUT_S,
    RETRY_MODE,
)
from source_cloudwatch_logs.aws.credentials import SESSION_NAME_PREFIX
from source_cloudwatch_logs.aws.insights import (
    BUSY_DEADLINE_S,
    BUSY_WAIT_MAX_S,
    BUSY_WAIT_S,
    PAGE_ROWS,
    POLL_FIRST_S,
    POLL_GROWTH,
    POLL_MAX_S,
    POLL_ROWS,
    ROW_LIMIT,
)
from source_cloudwatch_logs.aws.log_groups import DESCRIBE_PAGE_SIZE, IDENTIFIERS_PER_CALL, LIST_PAGE_SIZE
from source_cloudwatch_logs.aws.pacing import (
    DECREASE,
    DECREASE_HOLD_S,
    INCREASE_PER_S,
    LATENCY_ALLOWANCE_S,
    workers_for,
)
from source_cloudwatch_logs.aws.quotas import (
    CONCURRENT_QUERIES,
    DEFAULT_MAX_CONCURRENT_QUERIES,
    DESCRIBE_LOG_GROUPS_RPS,
    GET_QUERY_RESULTS_RPS,
    LIST_LOG_GROUPS_RPS,
    LOWEST_FILTER_LOG_EVENTS_RPS,
    QUOTAS_CHECKED,
    START_QUERY_RPS,
    filter_log_events_rps,
)
from source_cloudwatch_logs.aws.waits import RATE_LIMITED_AFTER_S
from source_cloudwatch_logs.checkpoints import CHECKPOINT_INTERVAL_S, CHECKPOINT_STATE_BYTES_PER_S
from source_cloudwatch_logs.group_warnings import SHOWN_GROUPS
from source_cloudwatch_logs.lookback import LAG_HALF_LIFE_MS, LAG_HEADROOM
from source_cloudwatch_logs.merged_state import COMPACT_GROUPS_KEY, EMPTY_BEFORE, LAG, NEWEST_BEFORE, WATERMARK
from source_cloudwatch_logs.plan import CLOCK_SKEW_WARNING_MS
from source_cloudwatch_logs.progress import REPORT_EVERY_SECONDS
from source_cloudwatch_logs.ranges import MAX_BACKDATE_MS, TARGET_WINDOW_BYTES
from source_cloudwatch_logs.records import CURSOR_FIELD, IDENTIFIER_LIMIT
from source_cloudwatch_logs.run import MALLOC_ARENAS
from source_cloudwatch_logs.spec import CloudWatchLogsConfig
from source_cloudwatch_logs.spec.model import MAX_ACCOUNT_IDENTIFIERS, MAX_LOG_STREAM_NAMES
from source_cloudwatch_logs.state import EMPTY_FROM_KEY, GROUPS_KEY, LAG_KEY, NEWEST_KEY

ROOT = Path(__file__).resolve().parents[1]
README_PATH = ROOT / "README.md"
PAGE_PATHS = [README_PATH, *sorted((ROOT / "docs").rglob("*.md"))]
PAGES = {path.relative_to(ROOT).as_posix(): path.read_text() for path in PAGE_PATHS}
FLAT = {name: re.sub(r"\s+", " ", text) for name, text in PAGES.items()}
README_MAX_BYTES = 20_000

FIELDS = CloudWatchLogsConfig.model_fields
MAX_WORKERS = FIELDS["num_workers"].default
SESSION = FIELDS["session_duration"]
SESSION_SCHEMA = CloudWatchLogsConfig.model_json_schema()["properties"]["session_duration"]
SESSION_MIN_S: int = SESSION_SCHEMA["minimum"]
SESSION_MAX_S: int = SESSION_SCHEMA["maximum"]
CHECK_WORST_S = CHECK_MAX_ATTEMPTS * (CONNECT_TIMEOUT_S + CHECK_READ_TIMEOUT_S)
DISCOVER_WORST_S = DISCOVER_MAX_ATTEMPTS * (CONNECT_TIMEOUT_S + DISCOVER_READ_TIMEOUT_S)
SYNC_WORST_MIN = round(READ_MAX_ATTEMPTS * (CONNECT_TIMEOUT_S + READ_TIMEOUT_S) / 60)
DAY_MS = 86_400_000

# (pattern, what each group must be): a number (the page may write it with thousands separators) or a string.
# Patterns match the pages with their whitespace collapsed to single spaces.
QUOTED: list[tuple[str, tuple[float | str, ...]]] = [
    # Settings and the client's retries and timeouts.
    (r"`(\w+)` mode, (\d+) attempts", (RETRY_MODE, READ_MAX_ATTEMPTS)),
    (r"Throttled calls are retried \((\d+) attempts", (READ_MAX_ATTEMPTS,)),
    (r"waits for the quota for more than (\d+) s in a row", (RATE_LIMITED_AFTER_S,)),
    (r"\((\d+) attempts per call, without a shared retry budget\)", (READ_MAX_ATTEMPTS,)),
    (r"It answers within about (\d+) s", (CHECK_WORST_S,)),
    (
        r"\((\d+) attempts, (\d+) s to connect, (\d+) s to read\)",
        (CHECK_MAX_ATTEMPTS, CONNECT_TIMEOUT_S, CHECK_READ_TIMEOUT_S),
    ),
    (r"a sync allows (\d+) attempts and (\d+) s per read", (READ_MAX_ATTEMPTS, READ_TIMEOUT_S)),
    (r"fails a sync after about (\d+) minutes", (SYNC_WORST_MIN,)),
    (
        r"a ListLogGroups page of ([\d,]+) at a time \(a DescribeLogGroups page of (\d+)",
        (LIST_PAGE_SIZE, DESCRIBE_PAGE_SIZE),
    ),
    (r"`ListLogGroups` \(2025\) answers ([\d,]+) a page", (LIST_PAGE_SIZE,)),
    (r"the connector paces it like `DescribeLogGroups`, at (\d+)/s", (LIST_LOG_GROUPS_RPS,)),
    (
        r"with it `discover` and `check` list ([\d,]+) groups a call instead of (\d+)",
        (LIST_PAGE_SIZE, DESCRIBE_PAGE_SIZE),
    ),
    (r"allows (\d+) attempts of (\d+) s per page", (DISCOVER_MAX_ATTEMPTS, DISCOVER_READ_TIMEOUT_S)),
    (r"on a silent endpoint it fails within about (\d+) s", (DISCOVER_WORST_S,)),
    (r"`log_stream_names` \(at most (\d+)\)", (MAX_LOG_STREAM_NAMES,)),
    (r"12-digit IDs, at most (\d+)\)", (MAX_ACCOUNT_IDENTIFIERS,)),
    (r"\(at most (\d+), DescribeLogGroups' limit\)", (MAX_ACCOUNT_IDENTIFIERS,)),
    (r"seconds per role session, (\d+) to (\d+)", (SESSION_MIN_S, SESSION_MAX_S)),
    (r"seconds per role session, \d+ to \d+ \(default (\d+)\)", (SESSION.default,)),
    (r"\(at most (\d+), (\d+) days\)", (MAX_BACKDATE_MS // 1000, MAX_BACKDATE_MS // DAY_MS)),
    (r"`max_lookback_seconds` \((\d+) by default", (FIELDS["max_lookback_seconds"].default,)),
    (r"at most `num_workers` \(default (\d+)\)", (MAX_WORKERS,)),
    (r"`num_workers` default (\d+)", (MAX_WORKERS,)),
    (r"`max_concurrent_queries` (?:queries )?\(default (\d+)\)", (DEFAULT_MAX_CONCURRENT_QUERIES,)),
    # Discovery, windows, destinations, progress.
    (r"read` describes only the groups its catalog selects, (\d+) names a call", (IDENTIFIERS_PER_CALL,)),
    (r"\(about ([\d,]+) MB each", (TARGET_WINDOW_BYTES // 2**20,)),
    (r"Postgres keeps (\d+)\)", (IDENTIFIER_LIMIT,)),
    (r"or are longer than (\d+) characters", (IDENTIFIER_LIMIT,)),
    (r"every (\d+) s a line for the sync", (REPORT_EVERY_SECONDS,)),
    (r"botocore's `(before-sign)` event", ("before-sign",)),
    # Quotas and pacing.
    (r"checked (\d{4}-\d{2})", (QUOTAS_CHECKED,)),
    (r"its own quota of (\d+)/s \(adjustable\)", (DESCRIBE_LOG_GROUPS_RPS,)),
    (r"`DescribeLogGroups`, when lower than its (\d+)/s", (DESCRIBE_LOG_GROUPS_RPS,)),
    (
        r"\((\d+) pages of (\d+)\) are listed in about (\d+) s",
        (100, DESCRIBE_PAGE_SIZE, round(100 / DESCRIBE_LOG_GROUPS_RPS)),
    ),
    (r"so ([\d,]+) log groups \(\d+ pages of", (100 * DESCRIBE_PAGE_SIZE,)),
    (r"cuts the connector's rate to ([\d.]+) of itself \(at most once a second\)", (DECREASE,)),
    (r"gives back (\d+)% of the budget", (INCREASE_PER_S * 100,)),
    (r"`rate x (\d+) s \+ 2`", (LATENCY_ALLOWANCE_S,)),
    (
        r"\(rate x (\d+) s \+ 2: (\d+) at (\d+) requests/s, (\d+) at (\d+), (\d+) at (\d+)\)",
        (LATENCY_ALLOWANCE_S, *(n for rate in (25, 10, 5) for n in (workers_for(rate, MAX_WORKERS), rate))),
    ),
    # Logs Insights.
    (r"A query returns at most ([\d,]+) rows", (ROW_LIMIT,)),
    (r"paged by GetQueryResults ([\d,]+) at a time", (PAGE_ROWS,)),
    (r"A poll asks GetQueryResults for (\d+) row", (POLL_ROWS,)),
    (r"\((\d+)/s each per account and region", (START_QUERY_RPS,)),
    (r"the account's limit \((\d+) Logs Insights queries", (CONCURRENT_QUERIES,)),
    (r"waiting (\d+) s, (\d+) s, \.\.\. up to a minute", (BUSY_WAIT_S, BUSY_WAIT_S * 2)),
    (r"for up to (\d+) minutes before the stream fails", (BUSY_DEADLINE_S / 60,)),
    (r"stayed at their limit for (\d+) minutes", (BUSY_DEADLINE_S / 60,)),
    (
        r"polled after ([\d.]+) s, then ([\d.]+) times later each time, up to every ([\d.]+) s",
        (POLL_FIRST_S, POLL_GROWTH, POLL_MAX_S),
    ),
    # The self-tuning lookback and the state's keys.
    (r"halves every (\d+) hours of progress", (LAG_HALF_LIFE_MS / 3_600_000,)),
    (r"re-reads ([\d.]+) times that lag", (LAG_HEADROOM,)),
    (r'State per stream is `\{"(\w+)": <epoch ms>\}`', (CURSOR_FIELD,)),
    (r"`(\w+)`, the newest event emitted below the watermark", (NEWEST_KEY,)),
    (r"`(\w+)`, for a stream that has shown no event yet", (EMPTY_FROM_KEY,)),
    (r"and `(\w+)`, the stream's learned ingestion lag", (LAG_KEY,)),
    (r"previous reading began \(`(\w+)`\)", (EMPTY_FROM_KEY,)),
    (r"newest event that sync's state had delivered \(or its `(\w+)`\)", (EMPTY_FROM_KEY,)),
    (r"among the events it reads and keeps it in `(\w+)`", (LAG_KEY,)),
    (
        r'`\{"(\w+)": \.\.\., "(\w+)": \{"[^"]+": \{"(\w+)": \.\.\., "(\w+)": \.\.\., "(\w+)": \.\.\.\}',
        (CURSOR_FIELD, GROUPS_KEY, CURSOR_FIELD, NEWEST_KEY, LAG_KEY),
    ),
    (
        r'`\{"(\w+)": <the lowest of the groups\'>, "(\w+)": \{"[^"]+": \{"(\w+)": \d+, "(\w+)": \d+\}, "[^"]+": '
        r'\{"(\w+)": \.\.\., "(\w+)": \.\.\.\}',
        (CURSOR_FIELD, COMPACT_GROUPS_KEY, NEWEST_BEFORE, LAG, WATERMARK, EMPTY_BEFORE),
    ),
    (r"then at most every (\d+) s, and further apart", (CHECKPOINT_INTERVAL_S,)),
    (r"at most every (\d+) s, and always when it ends", (CHECKPOINT_INTERVAL_S,)),
    (r"on average at most ([\d,]+) bytes of state a second", (CHECKPOINT_STATE_BYTES_PER_S,)),
    (r"naming the first (three) groups", ("three" if SHOWN_GROUPS == 3 else str(SHOWN_GROUPS),)),
    (r"state keys `(\w+)`, `(\w+)`", (NEWEST_KEY, LAG_KEY)),
    # Linked accounts: one connection's bound at the monitoring account's quota.
    (
        r"`FilterLogEvents` quota \((\d+)/s in us-east-1, (\d+)/s in most regions\)",
        (filter_log_events_rps("us-east-1"), filter_log_events_rps("eu-west-1")),
    ),
    (
        r"(\d+) accounts of ([\d,]+) one-MB pages each in eu-west-1 take at least (\d+) minutes through the monitoring "
        r"account and ([\d.]+) minutes per account",
        (20, 1500, 20 * 1500 / filter_log_events_rps("eu-west-1") / 60, 1500 / filter_log_events_rps("eu-west-1") / 60),
    ),
    # Sessions, clock and memory.
    (r"`RoleSessionName` of the form `([\w-]+)<8 hex digits>`", (SESSION_NAME_PREFIX,)),
    (r"a warning says when the local clock is more than (a minute) off", ("a minute",)),
    (r"glibc is limited to (two) malloc arenas", ("two",)),
    # The parsing cost target `make bench` checks.
    (r"`json` costs at most (\d+)% more wall time than `raw` in `make bench`", (round((JSON_COST_LIMIT - 1) * 100),)),
]


def as_quoted(text: str, expected: float | str) -> float | str:
    """A quoted value in the type the code's value has: numbers without thousands separators."""
    return text if isinstance(expected, str) else float(text.replace(",", ""))


@pytest.mark.parametrize(("pattern", "expected"), QUOTED, ids=[pattern for pattern, _ in QUOTED])
def test_every_page_quotes_the_code_s_value(pattern: str, expected: tuple[float | str, ...]) -> None:
    found = [(page, match.groups()) for page, text in FLAT.items() for match in re.finditer(pattern, text)]
    assert found, f"no page of README.md or docs/ quotes {pattern!r} any more"
    for page, groups in found:
        quoted = tuple(as_quoted(text, value) for text, value in zip(groups, expected, strict=True))
        wanted = tuple(value if isinstance(value, str) else round(float(value), 6) for value in expected)
        assert tuple(v if isinstance(v, str) else round(v, 6) for v in quoted) == wanted, (
            f"{page} quotes {', '.join(groups)} where the code says {', '.join(map(str, expected))} ({pattern!r})"
        )


def test_constants_the_docs_quote_in_words_are_the_code_s() -> None:
    """Numbers the pages write in words ("once a second", "up to a minute")."""
    assert DECREASE_HOLD_S == 1.0
    assert CLOCK_SKEW_WARNING_MS == 60_000
    assert MALLOC_ARENAS == 2
    assert BUSY_WAIT_MAX_S == 60
    assert START_QUERY_RPS == GET_QUERY_RESULTS_RPS
    assert FIELDS["max_concurrent_queries"].default == DEFAULT_MAX_CONCURRENT_QUERIES


def table_rows(text: str, header: str) -> list[list[str]]:
    """The rows of the Markdown table whose header line starts with `header` (cells stripped)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def pages_with(header: str) -> list[str]:
    return [page for page, text in PAGES.items() if any(line.startswith(header) for line in text.splitlines())]


def test_every_setting_is_documented_once_with_its_default() -> None:
    header = "| key | default | meaning |"
    pages = pages_with(header)
    assert len(pages) == 1, f"the settings table ({header}) is in {pages}, not in one page"
    table: dict[str, str] = {}
    for cells in table_rows(PAGES[pages[0]], header):
        for key in re.findall(r"`(\w+)`", cells[0]):
            table[key] = cells[1]
    assert set(table) == set(FIELDS), pages[0]
    for key, field in FIELDS.items():
        if isinstance(field.default, int | float) and not isinstance(field.default, bool):
            assert table[key] == f"{field.default:g}", (
                f"{pages[0]}: {key} default {table[key]}, the code's {field.default:g}"
            )


REGION = re.compile(r"\b[a-z]{2}(?:-[a-z]+)+-\d\b")


def test_the_quota_table_is_the_code_s() -> None:
    header = "| region | `FilterLogEvents` quota"
    pages = pages_with(header)
    assert len(pages) == 1, f"the quota table is in {pages}, not in one page"
    rows = table_rows(PAGES[pages[0]], header)
    named = [row for row in rows if REGION.search(row[0])]
    unknown = [row for row in rows if not REGION.search(row[0])]
    assert {filter_log_events_rps(REGION.findall(row[0])[0]) for row in named} == {
        filter_log_events_rps(region) for region in ("us-east-1", "eu-west-1", "eu-central-1")
    }, "the table has a row per quota the code knows"
    for region_cell, quota, budget, threads, least in named:
        for region in REGION.findall(region_cell):
            rate = filter_log_events_rps(region)
            assert quota == budget == f"{rate:g}/s", (
                f"{pages[0]}: {region} quota {quota}, budget {budget}; code {rate:g}/s"
            )
            assert threads == f"{workers_for(rate, MAX_WORKERS)}", f"{pages[0]}: {region} threads {threads}"
            assert least == f"{round(1000 / rate)} s", f"{pages[0]}: {region} 1,000 pages take at least {least}"
    assert len(unknown) == 1, f"{pages[0]}: one row for the regions the table does not know"
    _, _, budget, threads, least = unknown[0]
    lowest = LOWEST_FILTER_LOG_EVENTS_RPS
    assert (budget, threads, least) == (
        f"{lowest:g}/s",
        f"{workers_for(lowest, MAX_WORKERS)}",
        f"{round(1000 / lowest)} s",
    ), f"{pages[0]}: unknown regions' row"


def test_the_spec_s_descriptions_quote_the_code_s_numbers() -> None:
    rate_text = FIELDS["requests_per_second"].description or ""
    assert (
        f"({filter_log_events_rps('us-east-1'):g} in us-east-1, {filter_log_events_rps('eu-west-1'):g} in most regions, "
        f"{filter_log_events_rps('eu-central-1'):g} in a few)" in rate_text
    )
    workers_text = FIELDS["num_workers"].description or ""
    assert f"({workers_for(25, MAX_WORKERS)} at 25 requests per second)" in workers_text


def test_every_docs_page_starts_with_who_it_is_for() -> None:
    for page, text in PAGES.items():
        if page.startswith("docs/"):
            lines = [line for line in text.splitlines() if line.strip()]
            assert lines[0].startswith("# ") and lines[1].startswith("For "), page


def test_the_readme_stays_short_and_opens_with_the_two_commands() -> None:
    assert len(README_PATH.read_bytes()) < README_MAX_BYTES
    lines = [line for line in PAGES["README.md"].splitlines() if line.strip()]
    assert lines[0].startswith("# ")
    assert lines[1] == "```bash" and lines[4] == "```", "README.md opens with one bash block after its title"
    assert [line.split("#", 1)[0].strip() for line in lines[2:4]] == ["make demo", "make test"]


LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)


def anchors(text: str) -> set[str]:
    """GitHub's anchors for a page's headings: lower case, punctuation dropped, spaces as hyphens."""
    headings = re.findall(r"^#+ (.+)$", FENCE.sub("", text), re.M)
    return {re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-") for heading in headings}


def test_every_relative_link_resolves() -> None:
    broken = []
    for path in PAGE_PATHS:
        for target in LINK.findall(FENCE.sub("", path.read_text())):
            if re.match(r"[a-z]+:", target):
                continue
            file, _, anchor = target.partition("#")
            resolved = (path.parent / file).resolve() if file else path
            page = path.relative_to(ROOT).as_posix()
            if not resolved.exists():
                broken.append(f"{page}: {target} (no such file)")
            elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved.read_text()):
                broken.append(f"{page}: {target} (no such heading)")
    assert broken == []


REPO_PATH = re.compile(
    r"`((?:source_cloudwatch_logs|unit_tests|integration_tests|testkit|benchmarks|demo|scripts)/[\w./-]*)`"
)


def test_every_repository_path_the_docs_name_exists() -> None:
    missing = [
        f"{page}: {name}"
        for page, text in PAGES.items()
        for name in REPO_PATH.findall(text)
        if not (ROOT / name).exists()
    ]
    assert missing == []


def test_unit_tests_mirror_the_package_module_for_module() -> None:
    """`source_cloudwatch_logs/aws/client.py` is tested in `unit_tests/aws/test_client.py`, and so on; a small
    sub-package whose modules share one contract may have one test file (`spec/` in `unit_tests/test_spec.py`)."""
    package = ROOT / "source_cloudwatch_logs"
    modules = {p.relative_to(package).with_suffix("") for p in package.rglob("*.py") if p.stem != "__init__"}
    tests = {
        p.relative_to(ROOT / "unit_tests").with_name(p.stem.removeprefix("test_"))
        for p in (ROOT / "unit_tests").rglob("test_*.py")
    }
    assert {module for module in modules if module.parent not in tests} - tests == set()
