"""Helpers for the node exporter tests: fixture trees, a fixed clock, and rendering sources to text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Metric, generate_latest
from prometheus_client.registry import Collector

from exporters.base import CollectError, Source
from exporters.node.collectors import build_sources
from exporters.node.collectors.clock import Clock
from exporters.node.config import NodeSettings

FIXTURES_ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "node"
FIXTURE_NAMES = sorted(path.name for path in FIXTURES_ROOT.iterdir() if path.is_dir())

# 2026-11-22T12:00:00Z in Central European Time: golden files must not depend on when or where they run.
FIXED_NOW = 1_795_867_200.0
FIXED_CLOCK = Clock(now=lambda: FIXED_NOW, zone=lambda _at: ("CET", 3600))
FIXED_MACHINE = "x86_64"


def fixture_dir(name: str) -> Path:
    return FIXTURES_ROOT / name


def fixture_settings(root: Path, **overrides: Any) -> NodeSettings:
    """Settings pointing every path at one fixture tree, sizes taken from its statvfs.json."""
    values: dict[str, Any] = {
        "path_procfs": root / "proc",
        "path_sysfs": root / "sys",
        "path_rootfs": root / "rootfs",
        "collector_filesystem_statvfs_file": root / "statvfs.json",
    }
    values.update(overrides)
    return NodeSettings(**values)


def fixture_sources(root: Path, **overrides: Any) -> list[Source]:
    return build_sources(
        fixture_settings(root, **overrides), clock=FIXED_CLOCK, machine=lambda: FIXED_MACHINE
    )


class SourcesCollector(Collector):
    """Yields every source's families, as the exporter would at scrape time, and records failures."""

    def __init__(self, sources: list[Source]) -> None:
        self.sources = sources
        self.failures: dict[str, CollectError] = {}

    def collect(self) -> Iterator[Metric]:
        self.failures.clear()
        for source in self.sources:
            try:
                families = list(source.collect())
            except CollectError as error:
                self.failures[source.name] = error
                continue
            yield from families


def registry_for(sources: list[Source]) -> tuple[CollectorRegistry, SourcesCollector]:
    registry = CollectorRegistry(auto_describe=False)
    collector = SourcesCollector(sources)
    registry.register(collector)
    return registry, collector


def render(sources: list[Source]) -> tuple[str, dict[str, CollectError]]:
    """Exposition text of all sources and the CollectErrors of those that failed."""
    registry, collector = registry_for(sources)
    text = generate_latest(registry).decode()
    return text, dict(collector.failures)


def collect_error(source: Source) -> CollectError:
    """The CollectError a source raises; fails the test if it raises nothing."""
    try:
        list(source.collect())
    except CollectError as error:
        return error
    raise AssertionError(f"source {source.name} collected without error")


def source_named(sources: list[Source], name: str) -> Source:
    return next(source for source in sources if source.name == name)
