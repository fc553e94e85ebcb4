"""The exporter's own CollectorRegistry: build info, self-metrics and every source's families."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Metric, ProcessCollector
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from .collection import Collection
from .spec import ExporterSpec


def _build_info(spec: ExporterSpec) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "llmon_exporter_build_info",
        "Version of the llmon exporter, always 1.",
        labels=["version", "exporter"],
    )
    family.add_metric([spec.version, spec.name], 1.0)
    return family


class ExporterCollector(Collector):
    """Adapts a Collection to prometheus_client: each scrape asks the Collection for fresh families."""

    def __init__(self, spec: ExporterSpec, collection: Collection) -> None:
        self._spec = spec
        self._collection = collection

    def collect(self) -> Iterable[Metric]:
        yield _build_info(self._spec)
        yield from self._collection.collect()

    def describe(self) -> Iterable[Metric]:
        """Defined so that registering touches no upstream (the registry would call collect() otherwise)."""
        yield _build_info(self._spec)
        yield from self._collection.describe()


def build_registry(spec: ExporterSpec, collection: Collection) -> CollectorRegistry:
    """A registry of this exporter alone (never the global one), plus the exporter process's own metrics."""
    registry = CollectorRegistry()
    registry.register(ExporterCollector(spec, collection))
    ProcessCollector(registry=registry)
    return registry
