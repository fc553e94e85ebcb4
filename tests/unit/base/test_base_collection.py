"""Collection: scrape-time and background sources, self-metrics, failures, timeouts and recovery."""

from __future__ import annotations

import logging

import pytest
from base_helpers import sample, scrape, wait_until
from conftest import StartExporter
from fake_base_exporter import BackgroundScriptedSource, FakeSettings, ScriptedSource, spec_serving
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily

from exporters.base import REASONS, CollectError, ConfigError, ExporterServer

# Background sources: collected often; a timeout long enough that only a blocked call reaches it.
FAST = {"collect_interval": 0.02, "collect_timeout": 60}


def ready(server: ExporterServer) -> bool:
    return not server.collection.pending()


def test_scrape_time_source_is_collected_on_every_scrape(start_exporter: StartExporter) -> None:
    source = ScriptedSource("local", value=1)
    server = start_exporter([source])
    wait_until(lambda: ready(server), "the first collection")
    calls = source.calls
    assert sample(scrape(server), "llmon_fake_local_value") == 1
    source.value = 2
    assert sample(scrape(server), "llmon_fake_local_value") == 2
    assert source.calls == calls + 2


def test_background_source_is_served_from_its_snapshot_while_collect_blocks(
    start_exporter: StartExporter,
) -> None:
    source = BackgroundScriptedSource("remote", value=1)
    server = start_exporter([source], **FAST)
    wait_until(lambda: sample(scrape(server), "llmon_fake_remote_value") == 1, "the first snapshot")
    source.gate.clear()
    calls = source.calls
    wait_until(lambda: source.calls > calls, "a collection that blocks")  # started after clear(): blocked
    source.value = 2  # only the blocked call can see this, once released
    text = scrape(server)  # answered while collect() is blocked
    assert sample(text, "llmon_fake_remote_value") == 1
    assert sample(text, "llmon_exporter_up", source="remote") == 1
    assert sample(text, "llmon_exporter_collect_errors_total", source="remote", reason="timeout") == 0
    source.gate.set()
    wait_until(lambda: sample(scrape(server), "llmon_fake_remote_value") == 2, "the next snapshot")


def test_background_timeout_is_counted_and_the_hung_call_is_not_restarted(
    start_exporter: StartExporter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="exporters.base")
    source = BackgroundScriptedSource("remote")
    source.gate.clear()
    server = start_exporter([source], collect_interval=0.02, collect_timeout=0.05)

    def timeouts() -> float:
        return (
            sample(scrape(server), "llmon_exporter_collect_errors_total", source="remote", reason="timeout")
            or 0
        )

    wait_until(lambda: timeouts() >= 3, "three timed out cycles")
    text = scrape(server)
    assert sample(text, "llmon_exporter_up", source="remote") == 0
    assert sample(text, "llmon_fake_remote_value") is None
    assert source.calls == 1
    failures = [r for r in caplog.records if r.getMessage() == "source collection failed"]
    assert [(r.source, r.reason, r.err) for r in failures] == [
        ("remote", "timeout", "collection did not finish within 0.05s")
    ]

    source.gate.set()
    wait_until(lambda: sample(scrape(server), "llmon_exporter_up", source="remote") == 1, "recovery")
    assert sample(scrape(server), "llmon_fake_remote_value") == 1
    assert source.calls >= 2
    assert [r.source for r in caplog.records if r.getMessage() == "source recovered"] == ["remote"]


def test_failed_source_reports_up_0_and_the_others_are_kept(start_exporter: StartExporter) -> None:
    good, bad = ScriptedSource("good"), ScriptedSource("bad")
    remote = BackgroundScriptedSource("remote")
    bad.error = CollectError("unreachable", "connection refused by upstream")
    server = start_exporter([good, bad, remote], **FAST)
    wait_until(lambda: ready(server), "the first collections")
    text = scrape(server)
    assert sample(text, "llmon_exporter_up", source="good") == 1
    assert sample(text, "llmon_exporter_up", source="remote") == 1
    assert sample(text, "llmon_exporter_up", source="bad") == 0
    assert sample(text, "llmon_fake_good_value") == 1
    assert sample(text, "llmon_fake_remote_value") == 1
    assert sample(text, "llmon_fake_bad_value") is None
    assert sample(text, "llmon_exporter_last_success_timestamp_seconds", source="good") > 0
    assert sample(text, "llmon_exporter_last_success_timestamp_seconds", source="bad") is None
    assert sample(text, "llmon_exporter_collect_duration_seconds", source="bad") >= 0

    bad.error = None
    text = scrape(server)
    assert sample(text, "llmon_exporter_up", source="bad") == 1
    assert sample(text, "llmon_fake_bad_value") == 1


def test_failed_background_source_drops_its_snapshot(start_exporter: StartExporter) -> None:
    source = BackgroundScriptedSource("remote")
    server = start_exporter([source], **FAST)
    wait_until(lambda: sample(scrape(server), "llmon_fake_remote_value") == 1, "the first snapshot")
    source.error = CollectError("http_status", "upstream answered 503")
    wait_until(lambda: sample(scrape(server), "llmon_exporter_up", source="remote") == 0, "the failure")
    text = scrape(server)
    assert sample(text, "llmon_fake_remote_value") is None
    assert sample(text, "llmon_exporter_collect_errors_total", source="remote", reason="http_status") >= 1


class _KeepsSnapshotWhenThrottled(BackgroundScriptedSource):
    keep_snapshot_on = frozenset({"rate_limited"})


def test_source_keeps_its_snapshot_on_the_reasons_it_lists(start_exporter: StartExporter) -> None:
    """Told to wait (429): the last good figures stay served while up says the collection failed;
    any other failure still drops them, and a success replaces them."""
    source = _KeepsSnapshotWhenThrottled("remote")
    server = start_exporter([source], **FAST)
    wait_until(lambda: sample(scrape(server), "llmon_fake_remote_value") == 1, "the first snapshot")
    source.value = 2  # what a successful call would now serve
    source.error = CollectError("rate_limited", "upstream answered 429, retry after 30s")
    calls = source.calls
    wait_until(lambda: source.calls > calls + 1, "collections that fail")
    text = scrape(server)
    assert sample(text, "llmon_exporter_up", source="remote") == 0
    assert sample(text, "llmon_exporter_collect_errors_total", source="remote", reason="rate_limited") >= 1
    assert sample(text, "llmon_fake_remote_value") == 1

    source.error = CollectError("http_status", "upstream answered 503")
    wait_until(lambda: sample(scrape(server), "llmon_fake_remote_value") is None, "the snapshot dropped")

    source.error = None
    wait_until(lambda: sample(scrape(server), "llmon_fake_remote_value") == 2, "a fresh snapshot")
    assert sample(scrape(server), "llmon_exporter_up", source="remote") == 1


def test_errors_are_counted_by_reason_and_start_at_zero(start_exporter: StartExporter) -> None:
    source = ScriptedSource("flaky")
    server = start_exporter([source])
    wait_until(lambda: ready(server), "the first collection")
    text = scrape(server)
    for reason in REASONS:
        assert sample(text, "llmon_exporter_collect_errors_total", source="flaky", reason=reason) == 0

    source.error = CollectError("rate_limited", "upstream answered 429")
    scrape(server)
    scrape(server)
    source.error = KeyError("unexpected")
    text = scrape(server)
    assert sample(text, "llmon_exporter_collect_errors_total", source="flaky", reason="rate_limited") == 2
    assert sample(text, "llmon_exporter_collect_errors_total", source="flaky", reason="internal") == 1
    assert sample(text, "llmon_exporter_collect_errors_total", source="flaky", reason="timeout") == 0


def test_source_yielding_something_else_than_metrics_counts_as_internal(
    start_exporter: StartExporter,
) -> None:
    class Broken(ScriptedSource):
        def collect(self):
            return ["not a metric family"]

    server = start_exporter([Broken("broken")])
    text = scrape(server)
    assert sample(text, "llmon_exporter_up", source="broken") == 0
    assert sample(text, "llmon_exporter_collect_errors_total", source="broken", reason="internal") >= 1


def test_each_failure_cause_is_logged_once_and_recovery_once(
    start_exporter: StartExporter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="exporters.base")
    source = ScriptedSource("flaky")
    source.error = CollectError("unreachable", "connection refused")
    server = start_exporter([source])
    for _ in range(3):
        scrape(server)
    source.error = CollectError("auth", "token rejected")
    scrape(server)
    scrape(server)
    source.error = None
    scrape(server)
    scrape(server)
    logged = [
        (r.levelname, r.getMessage(), getattr(r, "reason", None))
        for r in caplog.records
        if getattr(r, "source", None) == "flaky"
    ]
    assert logged == [
        ("WARNING", "source collection failed", "unreachable"),
        ("WARNING", "source collection failed", "auth"),
        ("INFO", "source recovered", None),
    ]


def test_collect_error_only_accepts_known_reasons() -> None:
    with pytest.raises(ValueError, match="unknown collect error reason 'oops'"):
        CollectError("oops", "whatever")


def test_registration_touches_no_upstream() -> None:
    source = ScriptedSource("local")
    server = ExporterServer(spec_serving([source]), FakeSettings())
    assert source.calls == 0
    assert sample(generate_latest(server.registry).decode(), "llmon_fake_local_value") == 1
    assert source.calls == 1


def test_duplicate_source_names_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="more than one source is named 'twin'"):
        ExporterServer(spec_serving([ScriptedSource("twin"), ScriptedSource("twin")]), FakeSettings())


def test_build_info_carries_version_and_exporter(start_exporter: StartExporter) -> None:
    server = start_exporter([])
    text = scrape(server)
    assert sample(text, "llmon_exporter_build_info", version=server.spec.version, exporter="fake") == 1


def test_describe_lists_self_metrics_and_source_families() -> None:
    class Described(ScriptedSource):
        def describe(self):
            return [GaugeMetricFamily(self.metric, "described")]

    source = Described("local")
    server = ExporterServer(spec_serving([source]), FakeSettings())
    names = {family.name for family in server.collection.describe()}
    assert names == {
        "llmon_exporter_up",
        "llmon_exporter_collect_duration_seconds",
        "llmon_exporter_collect_errors",
        "llmon_exporter_last_success_timestamp_seconds",
        "llmon_fake_local_value",
    }
    assert source.calls == 0


class ClosingSource(ScriptedSource):
    """Counts close() calls; optionally fails in close() like a source whose watcher already died."""

    def __init__(self, name: str, fail_on_close: bool = False) -> None:
        super().__init__(name)
        self.closed = 0
        self.fail_on_close = fail_on_close

    def close(self) -> None:
        self.closed += 1
        if self.fail_on_close:
            raise RuntimeError("watcher already gone")


def test_stop_closes_every_source_once_even_when_one_close_fails(caplog: pytest.LogCaptureFixture) -> None:
    failing, healthy = ClosingSource("failing", fail_on_close=True), ClosingSource("healthy")
    server = ExporterServer(spec_serving([failing, healthy]), FakeSettings()).start()
    assert (failing.closed, healthy.closed) == (0, 0)

    with caplog.at_level(logging.WARNING):
        server.stop()
        server.stop()

    assert (failing.closed, healthy.closed) == (1, 1)
    failures = [record for record in caplog.records if record.getMessage() == "closing source failed"]
    assert [record.source for record in failures] == ["failing"]
