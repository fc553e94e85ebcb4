"""pressure: pressure stall information (PSI) as cumulative seconds.

node_pressure_cpu_waiting_seconds_total 32.62
node_pressure_memory_stalled_seconds_total 0.0
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily

from exporters.base import Source
from exporters.node.sources.files import HostPaths
from exporters.node.sources.pressure import read_pressure

# (resource, PSI line) -> node_exporter's metric and what it means. "some" is "at least one task was
# waiting", "full" is "no task could make progress"; node_exporter has no series for cpu "full".
PRESSURE_METRICS = {
    ("cpu", "some"): ("node_pressure_cpu_waiting_seconds_total", "tasks waited for a CPU"),
    ("io", "some"): ("node_pressure_io_waiting_seconds_total", "tasks waited for I/O"),
    ("io", "full"): ("node_pressure_io_stalled_seconds_total", "no task could progress because of I/O"),
    ("memory", "some"): ("node_pressure_memory_waiting_seconds_total", "tasks waited for memory"),
    ("memory", "full"): (
        "node_pressure_memory_stalled_seconds_total",
        "no task could progress for lack of memory",
    ),
    ("irq", "full"): (
        "node_pressure_irq_stalled_seconds_total",
        "no task could progress because of IRQ handling",
    ),
}


class PressureCollector(Source):
    """A kernel without PSI (before 4.20, or built without it) fails with reason "unsupported"."""

    name = "pressure"

    def __init__(self, paths: HostPaths) -> None:
        self._paths = paths

    def collect(self) -> Iterator[Metric]:
        for pressure in read_pressure(self._paths):
            for line, seconds in (("some", pressure.some_seconds), ("full", pressure.full_seconds)):
                known = PRESSURE_METRICS.get((pressure.resource, line))
                if known is None or seconds is None:
                    continue
                metric, meaning = known
                yield CounterMetricFamily(metric, f"Total seconds in which {meaning}.", value=seconds)
