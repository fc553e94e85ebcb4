"""stat: kernel-wide activity counters from /proc/stat.

node_boot_time_seconds 1.795453517e+09
node_context_switches_total 441966.0
node_procs_running 3.0
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import Metric
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporters.base import Source
from exporters.node.sources.files import HostPaths
from exporters.node.sources.stat import read_kernel_counters


class StatCollector(Source):
    name = "stat"

    def __init__(self, paths: HostPaths) -> None:
        self._paths = paths

    def collect(self) -> Iterator[Metric]:
        stat = read_kernel_counters(self._paths)
        yield GaugeMetricFamily(
            "node_boot_time_seconds",
            "When the host booted, in seconds since the Unix epoch.",
            value=stat.boot_time_seconds,
        )
        yield CounterMetricFamily(
            "node_context_switches_total", "Context switches since boot.", value=stat.context_switches
        )
        yield CounterMetricFamily(
            "node_forks_total", "Processes and threads created since boot.", value=stat.forks
        )
        yield CounterMetricFamily("node_intr_total", "Interrupts serviced since boot.", value=stat.interrupts)
        yield GaugeMetricFamily(
            "node_procs_running", "Processes currently runnable or running.", value=stat.procs_running
        )
        yield GaugeMetricFamily(
            "node_procs_blocked", "Processes currently blocked waiting for I/O.", value=stat.procs_blocked
        )
