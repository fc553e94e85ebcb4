"""A small builder for labelled metric families, so each metric is one line in the collectors."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily


class FamilyBuilder:
    """Creates each family on its first sample; samples with a None value are skipped (omitted series)."""

    def __init__(self) -> None:
        self._families: dict[str, Metric] = {}

    def _family(self, kind: type[Metric], name: str, documentation: str, labels: Mapping[str, str]) -> Metric:
        family = self._families.get(name)
        if family is None:
            family = kind(name, documentation, labels=list(labels))
            self._families[name] = family
        return family

    def gauge(self, name: str, documentation: str, labels: Mapping[str, str], value: float | None) -> None:
        if value is not None:
            family = self._family(GaugeMetricFamily, name, documentation, labels)
            family.add_metric(list(labels.values()), float(value))  # type: ignore[attr-defined]

    def counter(self, name: str, documentation: str, labels: Mapping[str, str], value: float | None) -> None:
        if value is not None:
            family = self._family(CounterMetricFamily, name, documentation, labels)
            family.add_metric(list(labels.values()), float(value))  # type: ignore[attr-defined]

    def families(self) -> list[Metric]:
        return list(self._families.values())
