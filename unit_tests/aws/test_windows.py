"""Every WindowSource keeps the same contract: a definition's request, bound to the sync's readers, reads exactly
its window's events, probes with one call, and names its IAM action and whether the FilterLogEvents quota paces
it. Faked: the AWS answers (a stub FilterLogEvents client; a Logs Insights stand-in that answers from a list)."""

from __future__ import annotations

from typing import Any

from source_cloudwatch_logs.aws.errors import Action
from source_cloudwatch_logs.aws.insights import QueryResult, QuerySpec
from source_cloudwatch_logs.aws.insights_events import InsightsEvents, InsightsWindows
from source_cloudwatch_logs.aws.log_events import FilterLogEventsWindows, LogEvents
from source_cloudwatch_logs.aws.windows import Readers, WindowSource
from source_cloudwatch_logs.discovery import StreamDefinition
from unit_tests.aws.test_insights_events import Insights
from unit_tests.conftest import event, group, stub_logs

IA_ARN = "arn:aws:logs:us-east-1:123456789012:log-group:cold"
START, END = 10_000, 20_000  # the Logs Insights stand-in writes times within the first minute of 1970


class _Probed(Insights):
    def __init__(self, events: list[tuple[int, str, str]]) -> None:
        super().__init__(events, cap=100)
        self.started: list[QuerySpec] = []

    def start_only(self, spec: QuerySpec) -> None:
        self.started.append(spec)

    def run(self, spec: QuerySpec, **kwargs: Any) -> QueryResult:
        return super().run(spec, **kwargs)


def _sources() -> tuple[WindowSource, WindowSource, Any, _Probed]:
    pages = [{"events": [event(START + 1, 1), event(START + 2, 2), event(END, 3)]}]  # END is the next window's
    logs, client = stub_logs(pages)
    insights = _Probed([(START - 1, "a", "m0"), (START + 1, "a", "m1"), (START + 2, "a", "m2"), (END, "a", "m3")])
    readers = Readers(events=LogEvents(logs=logs), insights=InsightsEvents(insights=insights))  # type: ignore[arg-type]
    standard = StreamDefinition.of_group(group("hot"))
    cold = StreamDefinition.of_group(group("cold", log_class="INFREQUENT_ACCESS", arn=IA_ARN))
    return standard.source(readers), cold.source(readers), client, insights


def test_the_reading_api_is_chosen_at_discovery_and_each_names_its_action_and_pacing() -> None:
    standard, cold, _, _ = _sources()
    assert isinstance(standard, FilterLogEventsWindows) and isinstance(cold, InsightsWindows)
    assert (standard.action, standard.paced) == (Action.FILTER_LOG_EVENTS, True)
    assert (cold.action, cold.paced) == (Action.START_QUERY, False)


def test_every_source_reads_exactly_its_window() -> None:
    standard, cold, client, _ = _sources()
    for source in (standard, cold):
        events = [e for page in source.read(START, END) for e in page]
        assert [e["timestamp"] for e in events] == [START + 1, START + 2], source
        assert all(e["logStreamName"] and e["eventId"] for e in events)
    assert [(c["logGroupName"], c["startTime"], c["endTime"]) for c in client.calls] == [("hot", START, END)]


def test_every_source_probes_with_one_call() -> None:
    standard, cold, client, insights = _sources()
    standard.probe(1_795_000_000)
    assert client.calls == [{"logGroupName": "hot", "limit": 1}]
    cold.probe(1_795_000_000)
    (spec,) = insights.started
    assert (spec.groups, spec.start_s, spec.end_s, spec.limit) == ((IA_ARN,), 1_795_000_000, 1_795_000_000, 1)
