"""time: the host's wall clock and time zone, for clock-skew alerts.

node_time_seconds 1.7954e+09
node_time_zone_offset_seconds{time_zone="UTC"} 0.0
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import Metric
from prometheus_client.core import GaugeMetricFamily

from exporters.base import Source


def local_zone(at: float) -> tuple[str, int]:
    """The local time zone's abbreviation and UTC offset in seconds at the given instant."""
    local = time.localtime(at)
    return local.tm_zone, local.tm_gmtoff


@dataclass(frozen=True)
class Clock:
    """Injected so golden tests render a fixed instant and zone instead of the machine's."""

    now: Callable[[], float] = time.time
    zone: Callable[[float], tuple[str, int]] = local_zone


class TimeCollector(Source):
    name = "time"

    def __init__(self, clock: Clock) -> None:
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        now = self._clock.now()
        zone, offset = self._clock.zone(now)
        yield GaugeMetricFamily(
            "node_time_seconds", "Host wall-clock time in seconds since the Unix epoch.", value=now
        )
        family = GaugeMetricFamily(
            "node_time_zone_offset_seconds",
            "Offset of the host's local time zone from UTC in seconds.",
            labels=["time_zone"],
        )
        family.add_metric([zone], offset)
        yield family
