"""The node exporter served over HTTP by exporters.base on a fixture tree, scraped like Prometheus does."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from node_fixtures import fixture_dir, fixture_settings
from prometheus_client.parser import text_string_to_metric_families

from exporters.base import ExporterServer
from exporters.node.__main__ import SPEC


@pytest.fixture
def scrape() -> Iterator:
    servers: list[ExporterServer] = []

    def _scrape(root: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        server = ExporterServer(SPEC, fixture_settings(root, web_listen_address="127.0.0.1:0")).start()
        servers.append(server)
        response = httpx.get(f"{server.url}/metrics", timeout=10)
        assert response.status_code == 200
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.text)
            for sample in family.samples
        }

    yield _scrape
    for server in servers:
        server.stop()


def test_scrape_serves_node_series_and_source_health(scrape) -> None:
    root = fixture_dir("linux-6.8-gpu-server")
    samples = scrape(root)
    cpu0 = next(
        line.split() for line in (root / "proc/stat").read_text().splitlines() if line.startswith("cpu0 ")
    )
    assert samples[("node_cpu_seconds_total", (("cpu", "0"), ("mode", "user")))] == int(cpu0[1]) / 100
    assert samples[("llmon_exporter_up", (("source", "cpu"),))] == 1
    assert samples[("llmon_exporter_up", (("source", "pressure"),))] == 1
    assert samples[("llmon_exporter_up", (("source", "hwmon"),))] == 1


def test_unsupported_psi_sets_only_pressure_down(scrape) -> None:
    samples = scrape(fixture_dir("linux-3.10-centos7"))
    assert samples[("llmon_exporter_up", (("source", "pressure"),))] == 0
    assert (
        samples[("llmon_exporter_collect_errors_total", (("reason", "unsupported"), ("source", "pressure")))]
        >= 1
    )
    assert samples[("llmon_exporter_up", (("source", "meminfo"),))] == 1
    assert ("node_memory_MemTotal_bytes", ()) in samples
    assert not any(name.startswith("node_pressure_") for name, _ in samples)
