"""Per-source health: the llmon_exporter_* self-metrics, and logging each failure cause once."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .errors import REASONS

log = logging.getLogger(__name__)


@dataclass
class _Health:
    """What is known about one source; ``up`` is None until its first collection attempt ends."""

    up: bool | None = None
    duration: float | None = None
    last_success: float | None = None
    errors: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REASONS, 0))
    failure: tuple[str, str] | None = None


def _new_families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, CounterMetricFamily, GaugeMetricFamily]:
    return (
        GaugeMetricFamily(
            "llmon_exporter_up",
            "1 when the last collection from the source succeeded, else 0.",
            labels=["source"],
        ),
        GaugeMetricFamily(
            "llmon_exporter_collect_duration_seconds",
            "Time the last collection from the source took.",
            labels=["source"],
        ),
        CounterMetricFamily(
            "llmon_exporter_collect_errors",
            "Failed collections from the source, by reason.",
            labels=["source", "reason"],
        ),
        GaugeMetricFamily(
            "llmon_exporter_last_success_timestamp_seconds",
            "Unix time of the last successful collection from the source.",
            labels=["source"],
        ),
    )


class SourceHealth:
    """Thread-safe record of every source's collections, rendered as metric families on demand.

    Error counters start at 0 for every (source, reason) so rate() works from the first error. A
    failure is logged when its cause (reason and message) differs from the previous one, and the
    return to health is logged once, so a source that stays down does not flood the log.
    """

    def __init__(self, sources: Iterable[str]) -> None:
        self._lock = threading.Lock()
        self._health = {name: _Health() for name in sources}

    def succeeded(self, source: str, duration: float) -> None:
        with self._lock:
            health = self._health[source]
            recovered = health.failure is not None
            health.up, health.duration, health.last_success, health.failure = (
                True,
                duration,
                time.time(),
                None,
            )
        if recovered:
            log.info("source recovered", extra={"source": source})

    def failed(
        self, source: str, duration: float, reason: str, message: str, exc: BaseException | None = None
    ) -> None:
        with self._lock:
            health = self._health[source]
            new_cause = health.failure != (reason, message)
            health.up, health.duration, health.failure = False, duration, (reason, message)
            health.errors[reason] += 1
        if new_cause:
            log.warning(
                "source collection failed",
                extra={"source": source, "reason": reason, "err": message},
                exc_info=exc,
            )

    def partially_failed(self, source: str, counts: Mapping[str, int]) -> None:
        """Count failures a collection survived (Source.take_partial_errors): errors, not down.

        Not logged here: only the source knows which of its many parts failed, and logs that once.
        """
        with self._lock:
            errors = self._health[source].errors
            for reason, count in counts.items():
                if count > 0:
                    errors[reason if reason in REASONS else "internal"] += count

    def attempted(self, source: str) -> bool:
        """Whether a first collection attempt of the source has ended, successfully or not."""
        with self._lock:
            return self._health[source].up is not None

    def describe(self) -> Iterable[Metric]:
        return _new_families()

    def families(self) -> Iterable[Metric]:
        up, duration, errors, last_success = _new_families()
        with self._lock:
            for source, health in self._health.items():
                if health.up is not None:
                    up.add_metric([source], 1.0 if health.up else 0.0)
                if health.duration is not None:
                    duration.add_metric([source], health.duration)
                if health.last_success is not None:
                    last_success.add_metric([source], health.last_success)
                for reason, count in health.errors.items():
                    errors.add_metric([source, reason], count)
        return up, duration, errors, last_success
