"""Reading samples out of the families a source yields."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Metric


def samples(families: Iterable[Metric]) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in families
        for sample in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


def series(found: dict, name: str) -> list[dict[str, str]]:
    return [dict(labels) for (sample_name, labels) in found if sample_name == name]
