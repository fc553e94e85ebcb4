"""Helpers shared by the Langfuse exporter tests (a module of its own: every conftest is "conftest")."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fake_langfuse import PUBLIC_KEY, SECRET_KEY
from prometheus_client import Metric

from exporters.base import Source
from exporters.langfuse.config import LangfuseSettings


class Clock:
    """A monotonic clock the test moves by hand (backoffs, pauses and the metrics budget use it)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


Values = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def settings(url: str, **extra: Any) -> LangfuseSettings:
    return LangfuseSettings(
        langfuse_url=url, public_key=PUBLIC_KEY, secret_key=SECRET_KEY, collect_interval=15, **extra
    )


def values(families: Iterable[Metric]) -> Values:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in families
        for sample in family.samples
    }


def by_name(sources: list[Source]) -> dict[str, Source]:
    return {source.name: source for source in sources}


def poll(sources: list[Source]) -> Values:
    """One background cycle (health, then events) and a scrape of the totals."""
    named = by_name(sources)
    list(named["health"].collect())
    list(named["events"].collect())
    return values(named["totals"].collect())


def get(found: Values, metric: str, /, **labels: str) -> float:
    return found.get((metric, tuple(sorted(labels.items()))), 0.0)


GEN = {"model": "gpt-4o", "environment": "production"}
