"""One interface for reading a stream's time windows, whatever API reads them.

A `WindowSource` reads one stream's half-open window `[start_ms, end_ms)` as pages of events shaped like
FilterLogEvents' (`eventId`, `timestamp`, `ingestionTime`, `logStreamName`, `message` or a report's columns),
probes the stream with one cheap call for `check`, names the IAM action it needs, and says whether its calls are
paced by the FilterLogEvents quota (`pacing.InFlight`) or by a limit of their own (Logs Insights' concurrent
queries). It is chosen once per stream, at discovery: a stream definition holds a `WindowRequest` (what to ask:
`log_events.EventQuery` or `insights_events.InsightsSource`), which binds itself to the sync's `Readers`. No
other module asks which API a stream uses.

Implementations: `log_events.FilterLogEventsWindows` and `insights_events.InsightsWindows` (tests:
unit_tests/test_windows.py, which runs every implementation through the same contract).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from source_cloudwatch_logs.aws.errors import Action
    from source_cloudwatch_logs.aws.insights_events import InsightsEvents
    from source_cloudwatch_logs.aws.log_events import LogEvents

Event = dict[str, Any]


class WindowSource(Protocol):
    """Reads the windows of one stream."""

    @property
    def action(self) -> Action:
        """The IAM action its reads need (named when they are denied)."""
        ...

    @property
    def paced(self) -> bool:
        """Whether each page it reads holds a FilterLogEvents slot (pacing.InFlight)."""
        ...

    def read(self, start_ms: int, end_ms: int) -> Iterator[list[Event]]:
        """The pages of `[start_ms, end_ms)`: every event of the window once, none outside it."""
        ...

    def probe(self, at_s: int) -> None:
        """One cheap call that works only if reading works (check); raises the API's error as is. `at_s`: a
        second the call may ask about."""
        ...


@dataclass(frozen=True)
class Readers:
    """The sync's shared readers, one per API, that window sources read through."""

    events: LogEvents
    insights: InsightsEvents


class WindowRequest(Protocol):
    """What one stream asks of the API that reads it, chosen at discovery; bound to the readers at a sync."""

    @property
    def report_query(self) -> str | None:
        """A custom report's Logs Insights query (its columns shape the stream's schema), or None."""
        ...

    def source(self, readers: Readers, *, stream: str, setting: str | None) -> WindowSource:
        """This stream's window source. `setting`: the config path the request comes from (a custom report),
        named when AWS rejects what it asks."""
        ...
