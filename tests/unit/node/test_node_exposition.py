"""The exporter's fast encoder over node data: the golden files, the live host, and OpenMetrics validity."""

from __future__ import annotations

from pathlib import Path

import pytest
from node_fixtures import FIXTURE_NAMES, fixture_dir, fixture_sources, registry_for
from prometheus_client import Metric, generate_latest
from prometheus_client.openmetrics import exposition as openmetrics
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics

from exporters.base.exposition import generate_openmetrics, generate_text
from exporters.node.collectors import build_sources
from exporters.node.config import NodeSettings


class Collected:
    """Families collected once, so both encoders are handed exactly the same data."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


def fixture_families(name: str) -> Collected:
    registry, _ = registry_for(fixture_sources(fixture_dir(name)))
    return Collected(list(registry.collect()))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_text_output_is_the_golden_file(name: str) -> None:
    families = fixture_families(name)
    body = generate_text(families)
    assert body == generate_latest(families)
    assert body.decode() == (fixture_dir(name) / "expected.prom").read_text()


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_openmetrics_output_matches_prometheus_client_and_parses(name: str) -> None:
    families = fixture_families(name)
    body = generate_openmetrics(families)
    assert body == openmetrics.generate_latest(families)
    parsed = list(parse_openmetrics(body.decode()))
    assert sum(len(family.samples) for family in parsed) == sum(
        len(family.samples) for family in families.families
    )


def test_this_hosts_families_encode_like_prometheus_client() -> None:
    """The real /proc and /sys of the machine running the tests: whatever its kernel prints."""
    if not Path("/proc/stat").exists():
        pytest.skip("no procfs here")
    registry, _ = registry_for(build_sources(NodeSettings()))
    families = Collected(list(registry.collect()))
    assert any(family.name == "node_cpu_seconds" for family in families.families)
    assert generate_text(families) == generate_latest(families)
    assert generate_openmetrics(families) == openmetrics.generate_latest(families)
