"""Source.take_partial_errors: failures a collection survived are counted, and the source stays up."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

from base_helpers import sample, samples, scrape, wait_until
from conftest import StartExporter
from fake_base_exporter import BackgroundScriptedSource, ScriptedSource
from prometheus_client import Metric

from exporters.base import CollectError, ExporterServer


class PartlyFailing(ScriptedSource):
    """Each collect() records ``per_call`` partial failures; take_partial_errors drains the tally."""

    def __init__(self, name: str, per_call: Mapping[str, int]) -> None:
        super().__init__(name)
        self.per_call = dict(per_call)
        self._tally: Counter[str] = Counter()
        self.takes = 0

    def collect(self) -> Iterable[Metric]:
        self._tally.update(self.per_call)
        return super().collect()

    def take_partial_errors(self) -> Mapping[str, int]:
        self.takes += 1
        tally, self._tally = self._tally, Counter()
        return tally


class BackgroundPartlyFailing(PartlyFailing):
    background = True


def _errors(server: ExporterServer, source: str, reason: str) -> float | None:
    return sample(scrape(server), "llmon_exporter_collect_errors_total", source=source, reason=reason)


def test_partial_errors_are_counted_by_reason_and_the_source_stays_up(start_exporter: StartExporter) -> None:
    source = PartlyFailing("gpus", {"unsupported": 2, "timeout": 1})
    server = start_exporter([source])
    wait_until(lambda: source.takes >= 1, "the first collection")
    scrape(server)  # the first collection plus this scrape: two collections
    takes = source.takes

    text = scrape(server)  # counted by the collection that serves this very scrape

    collections = takes + 1
    assert source.takes == collections
    assert sample(text, "llmon_exporter_up", source="gpus") == 1
    assert sample(text, "llmon_fake_gpus_value") == 1
    assert sample(text, "llmon_exporter_collect_errors_total", source="gpus", reason="unsupported") == (
        2 * collections
    )
    assert sample(text, "llmon_exporter_collect_errors_total", source="gpus", reason="timeout") == collections
    assert sample(text, "llmon_exporter_collect_errors_total", source="gpus", reason="io") == 0


def test_an_unknown_reason_counts_as_internal(start_exporter: StartExporter) -> None:
    source = PartlyFailing("odd", {"cosmic_rays": 1})
    server = start_exporter([source])
    wait_until(lambda: source.takes >= 1, "the first collection")

    text = scrape(server)

    errors = "llmon_exporter_collect_errors_total"
    assert sample(text, errors, source="odd", reason="internal") == source.takes
    assert sample(text, errors, source="odd", reason="cosmic_rays") is None


def test_partial_errors_of_a_failed_collection_are_counted_too(start_exporter: StartExporter) -> None:
    source = PartlyFailing("broken", {"io": 1})
    source.error = CollectError("unreachable", "upstream refused the connection")
    server = start_exporter([source])
    wait_until(lambda: source.takes >= 1, "the first collection")

    text = scrape(server)

    assert sample(text, "llmon_exporter_up", source="broken") == 0
    assert sample(text, "llmon_exporter_collect_errors_total", source="broken", reason="io") == source.takes
    assert (
        sample(text, "llmon_exporter_collect_errors_total", source="broken", reason="unreachable")
        == source.takes
    )


def test_a_background_source_reports_partial_errors_from_its_loop(start_exporter: StartExporter) -> None:
    source = BackgroundPartlyFailing("remote", {"malformed": 1})
    server = start_exporter([source], collect_interval=0.02, collect_timeout=60)

    wait_until(lambda: (_errors(server, "remote", "malformed") or 0) >= 3, "three counted cycles")
    assert sample(scrape(server), "llmon_exporter_up", source="remote") == 1


def test_a_source_without_the_hook_counts_nothing(start_exporter: StartExporter) -> None:
    plain = BackgroundScriptedSource("plain")
    server = start_exporter([plain], collect_interval=0.02, collect_timeout=60)
    wait_until(lambda: plain.calls >= 3, "three cycles")

    text = scrape(server)

    assert plain.take_partial_errors() == {}
    assert sample(text, "llmon_exporter_up", source="plain") == 1
    errors = [v for (name, _), v in samples(text).items() if name == "llmon_exporter_collect_errors_total"]
    assert errors and set(errors) == {0.0}
